//! The discovery documents of RFC 7644 §4: `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, generated from the static schema tables so that what is advertised is exactly what
//! the rest of the crate enforces.

use crate::schema::{AttributeDef, AttributeType, ResourceType, SchemaDef, RESOURCE_TYPES, SCHEMAS};
use serde_json::{json, Map, Value};

/// URN of the ServiceProviderConfig schema.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// URN of the ResourceType schema.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// URN of the Schema schema.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// What this deployment advertises beyond the fixed feature set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCapabilities {
    /// The most resources one list or search response returns (`filter.maxResults`).
    pub max_results: u64,
    /// The largest request body the server accepts, in bytes. Not advertised: the RFC's
    /// `maxPayloadSize` belongs to bulk, which is unsupported and so advertised as 0.
    pub max_payload_size: u64,
    /// Where the integration guide lives (`documentationUri`), when configured.
    pub documentation_uri: Option<String>,
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

fn meta(resource_type: &str, location: String) -> Value {
    json!({ "resourceType": resource_type, "location": location })
}

/// The `/ServiceProviderConfig` document.
pub fn service_provider_config(base_url: &str, caps: &ProviderCapabilities) -> Value {
    let mut doc = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": caps.max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token issued to the provisioning client.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": meta("ServiceProviderConfig", format!("{}/ServiceProviderConfig", base(base_url))),
    });
    if let (Some(uri), Value::Object(obj)) = (&caps.documentation_uri, &mut doc) {
        obj.insert("documentationUri".to_owned(), Value::String(uri.clone()));
    }
    doc
}

fn render_resource_type(base_url: &str, rt: &ResourceType) -> Value {
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "meta": meta("ResourceType", format!("{}/ResourceTypes/{}", base(base_url), rt.id)),
    });
    if let (false, Value::Object(obj)) = (rt.extensions.is_empty(), &mut doc) {
        let extensions =
            rt.extensions.iter().map(|e| json!({ "schema": e.schema.id, "required": e.required })).collect();
        obj.insert("schemaExtensions".to_owned(), Value::Array(extensions));
    }
    doc
}

/// Every `/ResourceTypes` document (User, then Group).
pub fn resource_types(base_url: &str) -> Vec<Value> {
    RESOURCE_TYPES.iter().map(|rt| render_resource_type(base_url, rt)).collect()
}

/// The `/ResourceTypes/{id}` document; `None` for an unknown id (matched case-insensitively).
pub fn resource_type(base_url: &str, id: &str) -> Option<Value> {
    RESOURCE_TYPES.iter().find(|rt| rt.id.eq_ignore_ascii_case(id)).map(|rt| render_resource_type(base_url, rt))
}

/// One attribute definition in RFC 7643 §7 form, sub-attributes included.
fn render_attribute(def: &AttributeDef) -> Value {
    let mut obj = Map::new();
    obj.insert("name".to_owned(), json!(def.name));
    obj.insert("type".to_owned(), json!(def.ty));
    obj.insert("multiValued".to_owned(), json!(def.multi_valued));
    obj.insert("description".to_owned(), json!(def.description));
    obj.insert("required".to_owned(), json!(def.required));
    obj.insert("caseExact".to_owned(), json!(def.case_exact));
    obj.insert("mutability".to_owned(), json!(def.mutability));
    obj.insert("returned".to_owned(), json!(def.returned));
    obj.insert("uniqueness".to_owned(), json!(def.uniqueness));
    if !def.canonical_values.is_empty() {
        obj.insert("canonicalValues".to_owned(), json!(def.canonical_values));
    }
    if def.ty == AttributeType::Reference {
        obj.insert("referenceTypes".to_owned(), json!(def.reference_types));
    }
    if def.ty == AttributeType::Complex {
        obj.insert("subAttributes".to_owned(), def.sub_attributes.iter().map(render_attribute).collect());
    }
    Value::Object(obj)
}

fn render_schema(base_url: &str, schema: &SchemaDef) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(render_attribute).collect::<Vec<_>>(),
        "meta": meta("Schema", format!("{}/Schemas/{}", base(base_url), schema.id)),
    })
}

/// Every `/Schemas` document (core User, Enterprise User, Group).
pub fn schemas(base_url: &str) -> Vec<Value> {
    SCHEMAS.iter().map(|s| render_schema(base_url, s)).collect()
}

/// The `/Schemas/{urn}` document; `None` for an unknown URN (matched case-insensitively).
pub fn schema(base_url: &str, id: &str) -> Option<Value> {
    SCHEMAS.iter().find(|s| s.id.eq_ignore_ascii_case(id)).map(|s| render_schema(base_url, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

    const BASE: &str = "https://h/scim/v2/";

    /// Checks the value at each JSON pointer of `doc` (`None` = absent).
    fn check(doc: &Value, expected: &[(&str, Option<Value>)]) {
        for (pointer, value) in expected {
            assert_eq!(doc.pointer(pointer), value.as_ref(), "{pointer} in {doc}");
        }
    }

    /// The attribute named `name` in a schema document (or in an attribute's `subAttributes`).
    fn attribute<'a>(list: &'a Value, name: &str) -> &'a Value {
        list.as_array().and_then(|a| a.iter().find(|x| x["name"] == name)).unwrap_or(&Value::Null)
    }

    #[test]
    fn service_provider_config_states_capabilities() {
        let caps = ProviderCapabilities { max_results: 200, max_payload_size: 1 << 20, documentation_uri: None };
        let doc = service_provider_config(BASE, &caps);
        check(
            &doc,
            &[
                ("/schemas", Some(json!([SERVICE_PROVIDER_CONFIG_SCHEMA]))),
                ("/patch", Some(json!({"supported": true}))),
                ("/bulk", Some(json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}))),
                ("/filter", Some(json!({"supported": true, "maxResults": 200}))),
                ("/changePassword", Some(json!({"supported": false}))),
                ("/sort", Some(json!({"supported": true}))),
                ("/etag", Some(json!({"supported": true}))),
                ("/authenticationSchemes/0/type", Some(json!("oauthbearertoken"))),
                ("/authenticationSchemes/0/name", Some(json!("OAuth Bearer Token"))),
                ("/authenticationSchemes/0/primary", Some(json!(true))),
                ("/authenticationSchemes/1", None),
                ("/documentationUri", None),
                (
                    "/meta",
                    Some(
                        json!({"resourceType": "ServiceProviderConfig", "location": "https://h/scim/v2/ServiceProviderConfig"}),
                    ),
                ),
            ],
        );
        assert!(doc["authenticationSchemes"][0]["description"].as_str().is_some_and(|d| !d.is_empty()));
        let caps = ProviderCapabilities { documentation_uri: Some("https://docs.example/okta".into()), ..caps };
        check(
            &service_provider_config(BASE, &caps),
            &[("/documentationUri", Some(json!("https://docs.example/okta")))],
        );
    }

    #[test]
    fn resource_types_list_user_and_group() {
        let all = resource_types(BASE);
        assert_eq!(all.len(), 2);
        check(
            &all[0],
            &[
                ("/schemas", Some(json!([RESOURCE_TYPE_SCHEMA]))),
                ("/id", Some(json!("User"))),
                ("/name", Some(json!("User"))),
                ("/endpoint", Some(json!("/Users"))),
                ("/schema", Some(json!(USER_SCHEMA))),
                ("/schemaExtensions", Some(json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}]))),
                (
                    "/meta",
                    Some(json!({"resourceType": "ResourceType", "location": "https://h/scim/v2/ResourceTypes/User"})),
                ),
            ],
        );
        check(
            &all[1],
            &[
                ("/id", Some(json!("Group"))),
                ("/endpoint", Some(json!("/Groups"))),
                ("/schema", Some(json!(GROUP_SCHEMA))),
                ("/schemaExtensions", None),
                ("/meta/location", Some(json!("https://h/scim/v2/ResourceTypes/Group"))),
            ],
        );
        assert_eq!(resource_type(BASE, "Group").as_ref(), Some(&all[1]));
        assert_eq!(resource_type(BASE, "user").as_ref(), Some(&all[0]));
        assert_eq!(resource_type(BASE, "Device"), None);
    }

    #[test]
    fn schemas_describe_every_attribute() {
        let all = schemas(BASE);
        assert_eq!(
            all.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
            [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]
        );
        let user = schema(BASE, USER_SCHEMA).unwrap();
        assert_eq!(user, all[0]);
        check(
            &user,
            &[
                ("/schemas", Some(json!([SCHEMA_SCHEMA]))),
                ("/name", Some(json!("User"))),
                ("/description", Some(json!("User Account"))),
                (
                    "/meta",
                    Some(
                        json!({"resourceType": "Schema", "location": format!("https://h/scim/v2/Schemas/{USER_SCHEMA}")}),
                    ),
                ),
            ],
        );
        let user_name = attribute(&user["attributes"], "userName");
        assert_eq!(
            user_name,
            &json!({"name": "userName", "type": "string", "multiValued": false,
                    "description": "Unique identifier for the User, typically the sign-in name.", "required": true,
                    "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server"})
        );
        let emails = attribute(&user["attributes"], "emails");
        check(
            emails,
            &[("/type", Some(json!("complex"))), ("/multiValued", Some(json!(true))), ("/canonicalValues", None)],
        );
        let email_type = attribute(&emails["subAttributes"], "type");
        check(email_type, &[("/canonicalValues", Some(json!(["work", "home", "other"]))), ("/subAttributes", None)]);
        check(attribute(&emails["subAttributes"], "primary"), &[("/type", Some(json!("boolean")))]);
        check(
            attribute(&user["attributes"], "password"),
            &[("/mutability", Some(json!("writeOnly"))), ("/returned", Some(json!("never")))],
        );
        check(attribute(&user["attributes"], "groups"), &[("/mutability", Some(json!("readOnly")))]);
        check(
            attribute(&user["attributes"], "profileUrl"),
            &[("/type", Some(json!("reference"))), ("/referenceTypes", Some(json!(["external"])))],
        );
        let enterprise = schema(BASE, "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
        let manager = attribute(&enterprise["attributes"], "manager");
        check(attribute(&manager["subAttributes"], "$ref"), &[("/referenceTypes", Some(json!(["User"])))]);
        check(attribute(&manager["subAttributes"], "displayName"), &[("/mutability", Some(json!("readOnly")))]);
        let group = schema(BASE, GROUP_SCHEMA).unwrap();
        let members = attribute(&group["attributes"], "members");
        check(
            attribute(&members["subAttributes"], "value"),
            &[("/caseExact", Some(json!(true))), ("/mutability", Some(json!("immutable")))],
        );
        check(attribute(&members["subAttributes"], "type"), &[("/canonicalValues", Some(json!(["User", "Group"])))]);
        assert_eq!(schema(BASE, "urn:nope"), None);
    }
}

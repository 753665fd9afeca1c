//! Schema definitions (RFC 7643 §7): the attribute characteristics of the core User, the Enterprise
//! User extension and Group, and case-insensitive look-up of an attribute path against them.
//!
//! These static tables drive everything schema-aware in the crate: canonical attribute spelling,
//! type checks, case-exactness in filters, mutability in PATCH, projection, and `/Schemas`.

use serde::Serialize;

/// URN of the core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the Enterprise User extension.
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// URN of the core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    /// A string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A decimal number.
    Decimal,
    /// An integer.
    Integer,
    /// An xsd:dateTime string.
    DateTime,
    /// Base64 binary data.
    Binary,
    /// A URI reference.
    Reference,
    /// A complex attribute made of sub-attributes.
    Complex,
}

/// When an attribute may be changed (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Never modified by a client.
    ReadOnly,
    /// Freely modified.
    ReadWrite,
    /// Set once, never changed after.
    Immutable,
    /// Set by the client, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    Default,
    /// Returned only when asked for in `attributes`.
    Request,
}

/// Uniqueness of an attribute's values (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness.
    None,
    /// Unique within the service provider.
    Server,
    /// Globally unique.
    Global,
}

/// The characteristics of one attribute or sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// Canonical spelling of the name.
    pub name: &'static str,
    /// Data type.
    pub ty: AttributeType,
    /// Whether the attribute holds a list of values.
    pub multi_valued: bool,
    /// Whether a value is required on create/replace.
    pub required: bool,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// Returned characteristic.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Suggested canonical values (e.g. `work`, `home`).
    pub canonical_values: &'static [&'static str],
    /// For references: the resource types referenced.
    pub reference_types: &'static [&'static str],
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttributeDef],
    /// Human description.
    pub description: &'static str,
}

impl AttributeDef {
    const fn base(name: &'static str, ty: AttributeType, description: &'static str) -> Self {
        AttributeDef {
            name,
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            description,
        }
    }
    const fn string(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttributeType::String, description)
    }
    const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttributeType::Boolean, description)
    }
    const fn date_time(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttributeType::DateTime, description)
    }
    const fn reference(name: &'static str, types: &'static [&'static str], description: &'static str) -> Self {
        Self { reference_types: types, ..Self::base(name, AttributeType::Reference, description) }
    }
    const fn complex(name: &'static str, subs: &'static [AttributeDef], description: &'static str) -> Self {
        Self { sub_attributes: subs, ..Self::base(name, AttributeType::Complex, description) }
    }
    const fn multi(self) -> Self {
        Self { multi_valued: true, ..self }
    }
    const fn required(self) -> Self {
        Self { required: true, ..self }
    }
    const fn case_exact(self) -> Self {
        Self { case_exact: true, ..self }
    }
    const fn mutability(self, mutability: Mutability) -> Self {
        Self { mutability, ..self }
    }
    const fn returned(self, returned: Returned) -> Self {
        Self { returned, ..self }
    }
    const fn unique(self) -> Self {
        Self { uniqueness: Uniqueness::Server, ..self }
    }
    const fn canonical(self, values: &'static [&'static str]) -> Self {
        Self { canonical_values: values, ..self }
    }

    /// The sub-attribute named `name` (case-insensitive), for complex attributes.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether a client may write this attribute.
    pub fn is_writable(&self) -> bool {
        matches!(self.mutability, Mutability::ReadWrite | Mutability::WriteOnly | Mutability::Immutable)
    }
}

/// One schema (RFC 7643 §7): an id URN and its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// Human name.
    pub name: &'static str,
    /// Human description.
    pub description: &'static str,
    /// Top-level attributes.
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    /// The top-level attribute named `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

use AttributeType as T;

const TYPE_WORK_HOME_OTHER: &[&str] = &["work", "home", "other"];

/// The `value`/`display`/`type`/`primary` quartet shared by most multi-valued attributes.
macro_rules! multi_valued_subs {
    ($value_desc:expr, $types:expr) => {
        &[
            AttributeDef::string("value", $value_desc),
            AttributeDef::string("display", "A human-readable name, primarily used for display purposes."),
            AttributeDef::string("type", "A label indicating the attribute's function.").canonical($types),
            AttributeDef::boolean("primary", "Whether this is the primary or preferred value."),
        ]
    };
}

const NAME_SUBS: &[AttributeDef] = &[
    AttributeDef::string("formatted", "The full name, formatted for display."),
    AttributeDef::string("familyName", "The family name, or last name."),
    AttributeDef::string("givenName", "The given name, or first name."),
    AttributeDef::string("middleName", "The middle name(s)."),
    AttributeDef::string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
    AttributeDef::string("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
];

const ADDRESS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("formatted", "The full mailing address, formatted for display."),
    AttributeDef::string("streetAddress", "The full street address component."),
    AttributeDef::string("locality", "The city or locality component."),
    AttributeDef::string("region", "The state or region component."),
    AttributeDef::string("postalCode", "The zip code or postal code component."),
    AttributeDef::string("country", "The country name component (ISO 3166-1 alpha-2)."),
    AttributeDef::string("type", "A label indicating the address's function.").canonical(TYPE_WORK_HOME_OTHER),
    AttributeDef::boolean("primary", "Whether this is the primary address."),
];

const GROUPS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The identifier of the user's group.").mutability(Mutability::ReadOnly),
    AttributeDef::reference("$ref", &["User", "Group"], "The URI of the Group resource.")
        .mutability(Mutability::ReadOnly),
    AttributeDef::string("display", "The group's display name.").mutability(Mutability::ReadOnly),
    AttributeDef::string("type", "How the membership is derived: direct or indirect.")
        .canonical(&["direct", "indirect"])
        .mutability(Mutability::ReadOnly),
];

const X509_SUBS: &[AttributeDef] = &[
    AttributeDef::base("value", T::Binary, "The value of an X.509 certificate."),
    AttributeDef::string("display", "A human-readable name."),
    AttributeDef::string("type", "A label indicating the certificate's function."),
    AttributeDef::boolean("primary", "Whether this is the primary certificate."),
];

/// Attributes common to every resource (RFC 7643 §3.1).
const META_SUBS: &[AttributeDef] = &[
    AttributeDef::string("resourceType", "The name of the resource type.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    AttributeDef::date_time("created", "When the resource was added.").mutability(Mutability::ReadOnly),
    AttributeDef::date_time("lastModified", "When the resource was last modified.").mutability(Mutability::ReadOnly),
    AttributeDef::reference("location", &["uri"], "The URI of the resource.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    AttributeDef::string("version", "The version (ETag) of the resource.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
];

/// `id`, `externalId` and `meta`, which every resource type carries outside its schema's list.
pub static COMMON_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("id", "Unique identifier of the resource, assigned by the service provider.")
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .unique(),
    AttributeDef::string("externalId", "Identifier of the resource as defined by the provisioning client.")
        .case_exact(),
    AttributeDef::complex("meta", META_SUBS, "Resource metadata.").mutability(Mutability::ReadOnly),
];

/// The core User schema (RFC 7643 §4.1).
pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        AttributeDef::string("userName", "Unique identifier for the User, typically the sign-in name.")
            .required()
            .unique(),
        AttributeDef::complex("name", NAME_SUBS, "The components of the user's real name."),
        AttributeDef::string("displayName", "The name of the User, suitable for display."),
        AttributeDef::string("nickName", "The casual way to address the user."),
        AttributeDef::reference("profileUrl", &["external"], "A URI of the user's online profile."),
        AttributeDef::string("title", "The user's title, such as 'Vice President'."),
        AttributeDef::string("userType", "The relationship between the organization and the user."),
        AttributeDef::string("preferredLanguage", "The user's preferred written or spoken language."),
        AttributeDef::string("locale", "The user's default location, e.g. 'en-US'."),
        AttributeDef::string("timezone", "The user's time zone in IANA format."),
        AttributeDef::boolean("active", "The user's administrative status."),
        AttributeDef::string("password", "The user's cleartext password; accepted, never stored or returned.")
            .case_exact()
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never),
        AttributeDef::complex("emails", multi_valued_subs!("Email address.", TYPE_WORK_HOME_OTHER), "Email addresses.")
            .multi(),
        AttributeDef::complex(
            "phoneNumbers",
            multi_valued_subs!("Phone number.", &["work", "home", "mobile", "fax", "pager", "other"]),
            "Phone numbers.",
        )
        .multi(),
        AttributeDef::complex(
            "ims",
            multi_valued_subs!(
                "Instant messaging address.",
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
            ),
            "Instant messaging addresses.",
        )
        .multi(),
        AttributeDef::complex(
            "photos",
            multi_valued_subs!("URL of a photo of the user.", &["photo", "thumbnail"]),
            "Photos.",
        )
        .multi(),
        AttributeDef::complex("addresses", ADDRESS_SUBS, "Physical mailing addresses.").multi(),
        AttributeDef::complex("groups", GROUPS_SUBS, "Groups the user belongs to (managed through Group resources).")
            .multi()
            .mutability(Mutability::ReadOnly),
        AttributeDef::complex("entitlements", multi_valued_subs!("The value of an entitlement.", &[]), "Entitlements.")
            .multi(),
        AttributeDef::complex("roles", multi_valued_subs!("The value of a role.", &[]), "Roles.").multi(),
        AttributeDef::complex("x509Certificates", X509_SUBS, "X.509 certificates.").multi(),
    ],
};

const MANAGER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The id of the SCIM resource representing the user's manager."),
    AttributeDef::reference("$ref", &["User"], "The URI of the manager's User resource."),
    AttributeDef::string("displayName", "The manager's display name.").mutability(Mutability::ReadOnly),
];

/// The Enterprise User extension (RFC 7643 §4.3).
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        AttributeDef::string("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        AttributeDef::string("costCenter", "Identifies the name of a cost center."),
        AttributeDef::string("organization", "Identifies the name of an organization."),
        AttributeDef::string("division", "Identifies the name of a division."),
        AttributeDef::string("department", "Identifies the name of a department."),
        AttributeDef::complex("manager", MANAGER_SUBS, "The user's manager."),
    ],
};

const MEMBER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "Identifier of the member of this Group.")
        .case_exact()
        .mutability(Mutability::Immutable),
    AttributeDef::reference("$ref", &["User", "Group"], "The URI of the member resource.")
        .mutability(Mutability::Immutable),
    AttributeDef::string("display", "The member's display name.").mutability(Mutability::ReadOnly),
    AttributeDef::string("type", "The type of the member: User or Group.")
        .canonical(&["User", "Group"])
        .mutability(Mutability::Immutable),
];

/// The core Group schema (RFC 7643 §4.2).
pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        AttributeDef::string("displayName", "A human-readable name for the Group.").required(),
        AttributeDef::complex("members", MEMBER_SUBS, "A list of members of the Group.").multi(),
    ],
};

/// A schema extension of a resource type and whether it is required.
#[derive(Debug, Clone, Copy)]
pub struct SchemaExtension {
    /// The extension schema.
    pub schema: &'static SchemaDef,
    /// Whether every resource must carry it.
    pub required: bool,
}

/// A resource type (RFC 7643 §6): its endpoint, core schema and extensions.
#[derive(Debug, Clone, Copy)]
pub struct ResourceType {
    /// `User` or `Group`.
    pub id: &'static str,
    /// Human name (same as id here).
    pub name: &'static str,
    /// Endpoint relative to the base URL, e.g. `/Users`.
    pub endpoint: &'static str,
    /// Human description.
    pub description: &'static str,
    /// The core schema.
    pub schema: &'static SchemaDef,
    /// Schema extensions.
    pub extensions: &'static [SchemaExtension],
}

/// Where an attribute path resolved to.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedAttribute {
    /// The schema the attribute belongs to (`None` for the common attributes `id`, `externalId`, `meta`).
    pub schema: Option<&'static SchemaDef>,
    /// The top-level attribute.
    pub attribute: &'static AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub_attribute: Option<&'static AttributeDef>,
}

impl ResolvedAttribute {
    /// The most specific definition: the sub-attribute when there is one, else the attribute.
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }

    /// Whether the attribute lives in an extension (and so in the JSON under the extension URN).
    pub fn extension_urn(&self) -> Option<&'static str> {
        self.schema.filter(|s| s.id != USER_SCHEMA && s.id != GROUP_SCHEMA).map(|s| s.id)
    }
}

impl ResourceType {
    /// All schemas of this type, core first.
    pub fn schemas(&self) -> impl Iterator<Item = &'static SchemaDef> + '_ {
        std::iter::once(self.schema).chain(self.extensions.iter().map(|e| e.schema))
    }

    /// The schema (core or extension) whose URN is `urn` (case-insensitive).
    pub fn schema_by_urn(&self, urn: &str) -> Option<&'static SchemaDef> {
        self.schemas().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves `[schemaUrn:]name[.sub]` parts (all case-insensitive) to their definitions.
    ///
    /// With no URN the core schema and the common attributes are searched; a URN naming an extension
    /// restricts the search to it. Returns `None` when any part is unknown.
    pub fn resolve(&self, urn: Option<&str>, name: &str, sub: Option<&str>) -> Option<ResolvedAttribute> {
        let (schema, attribute) = match urn {
            Some(urn) => {
                let schema = self.schema_by_urn(urn)?;
                let attr = schema.attribute(name).or_else(|| {
                    // `urn:...:core:2.0:User:id` is legal too: common attributes under the core URN.
                    (schema.id == self.schema.id).then(|| common_attribute(name)).flatten()
                })?;
                (Some(schema), attr)
            }
            None => match self.schema.attribute(name) {
                Some(attr) => (Some(self.schema), attr),
                None => (None, common_attribute(name)?),
            },
        };
        let sub_attribute = match sub {
            Some(sub) => Some(attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(ResolvedAttribute { schema, attribute, sub_attribute })
    }
}

/// `id`, `externalId` or `meta` by name (case-insensitive).
pub fn common_attribute(name: &str) -> Option<&'static AttributeDef> {
    COMMON_ATTRIBUTES.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The User resource type, with the Enterprise User extension (optional).
pub static USER_RESOURCE: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[SchemaExtension { schema: &ENTERPRISE_USER, required: false }],
};

/// The Group resource type.
pub static GROUP_RESOURCE: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};

/// Every resource type this provider serves.
pub static RESOURCE_TYPES: [&ResourceType; 2] = [&USER_RESOURCE, &GROUP_RESOURCE];

/// Every schema this provider knows.
pub static SCHEMAS: [&SchemaDef; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rt: &ResourceType, urn: Option<&str>, name: &str, sub: Option<&str>, expected: Option<&str>) {
        let got = rt.resolve(urn, name, sub).map(|r| r.leaf().name);
        assert_eq!(got, expected, "resolve({urn:?}, {name}, {sub:?})");
    }

    #[test]
    fn resolves_case_insensitively() {
        check(&USER_RESOURCE, None, "USERNAME", None, Some("userName"));
        check(&USER_RESOURCE, None, "name", Some("FAMILYNAME"), Some("familyName"));
        check(&USER_RESOURCE, None, "emails", Some("value"), Some("value"));
        check(&USER_RESOURCE, None, "id", None, Some("id"));
        check(&USER_RESOURCE, None, "meta", Some("lastmodified"), Some("lastModified"));
        check(&USER_RESOURCE, Some(USER_SCHEMA), "userName", None, Some("userName"));
        check(&USER_RESOURCE, Some(ENTERPRISE_USER_SCHEMA), "department", None, Some("department"));
        check(&USER_RESOURCE, Some(ENTERPRISE_USER_SCHEMA), "manager", Some("value"), Some("value"));
        check(&USER_RESOURCE, None, "department", None, None);
        check(&USER_RESOURCE, None, "nope", None, None);
        check(&USER_RESOURCE, None, "name", Some("nope"), None);
        check(&GROUP_RESOURCE, None, "members", Some("value"), Some("value"));
        check(&GROUP_RESOURCE, None, "displayname", None, Some("displayName"));
        check(&GROUP_RESOURCE, Some(ENTERPRISE_USER_SCHEMA), "department", None, None);
    }

    #[test]
    fn characteristics_match_rfc7643() {
        let user_name = USER_RESOURCE.resolve(None, "userName", None).unwrap().leaf();
        assert!(!user_name.case_exact && user_name.required && user_name.uniqueness == Uniqueness::Server);
        let id = USER_RESOURCE.resolve(None, "id", None).unwrap().leaf();
        assert!(id.case_exact && id.mutability == Mutability::ReadOnly && id.returned == Returned::Always);
        let password = USER_RESOURCE.resolve(None, "password", None).unwrap().leaf();
        assert_eq!(password.returned, Returned::Never);
        let groups = USER_RESOURCE.resolve(None, "groups", None).unwrap().leaf();
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        let ext = USER_RESOURCE.resolve(Some(ENTERPRISE_USER_SCHEMA), "costCenter", None).unwrap();
        assert_eq!(ext.extension_urn(), Some(ENTERPRISE_USER_SCHEMA));
    }
}

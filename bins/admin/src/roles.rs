//! `mappings`, `users` and `groups` commands: the Okta group → StackFlow role rules, why a user has
//! their role, and which pushed groups map to nothing.

use clap::Subcommand;
use provider::{MappingChange, Provider, UserAccount};
use rolemap::{GroupMatcher, MappingRule, Role};
use std::io::Write as _;
use std::process::ExitCode;

/// The actor recorded in the audit log for CLI changes.
const ACTOR: &str = "admin-cli";

/// `stackflow-admin mappings …`
#[derive(Subcommand)]
pub enum MappingsCommand {
    /// List the rules, the default role and rules that match nothing.
    List,
    /// Map the Okta group with this display name to a role, and recompute its members' roles.
    Set {
        /// The group's display name as pushed by Okta (case-insensitive).
        group: String,
        /// super_admin, itsm_manager, itsm_agent or viewer.
        role: String,
        /// Change the role of an existing mapping for this group.
        #[arg(long)]
        replace: bool,
        /// Show which users would change role, and to what, without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove the mapping of the group with this display name, and recompute its members' roles.
    Remove {
        /// The group's display name (case-insensitive).
        group: String,
        /// Show which users would change role, and to what, without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `stackflow-admin users …`
#[derive(Subcommand)]
pub enum UsersCommand {
    /// Why a user has their role: groups, mapped roles, the winner, and the account state.
    Explain {
        /// The user's userName (case-insensitive).
        user_name: String,
    },
}

/// `stackflow-admin groups …`
#[derive(Subcommand)]
pub enum GroupsCommand {
    /// Pushed groups that map to no role, with member counts ("group mapping missing").
    Unmapped,
}

fn role_name(role: Option<Role>) -> &'static str {
    role.map_or("none (no access)", Role::as_str)
}

fn matcher_text(rule: &MappingRule) -> String {
    match &rule.matcher {
        GroupMatcher::DisplayName(name) => name.clone(),
        other => other.to_string(),
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs a `mappings` command.
pub async fn mappings(provider: &Provider, command: MappingsCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        MappingsCommand::List => {
            let view = provider.mappings().await?;
            if json {
                print_json(&view)?;
                return Ok(ExitCode::SUCCESS);
            }
            println!("{:<36} {:<13} {:<30} bound group", "group", "role", "rule id");
            for rule in &view.rules {
                println!(
                    "{:<36} {:<13} {:<30} {}",
                    matcher_text(rule),
                    rule.role.as_str(),
                    rule.id.as_deref().unwrap_or("-"),
                    rule.bound_group_id.as_deref().unwrap_or("-")
                );
            }
            println!("default role: {}", role_name(view.default_role));
            for problem in &view.problems {
                let note = if problem.kind.is_informational() { "note" } else { "warning" };
                println!("{note}: {}", problem.reason);
            }
        }
        MappingsCommand::Set { group, role, replace, dry_run } => {
            let change = provider.set_mapping(&group, &role, replace, dry_run, ACTOR).await?;
            print_change(&change, json)?;
        }
        MappingsCommand::Remove { group, dry_run } => {
            let change = provider.remove_mapping(&group, dry_run, ACTOR).await?;
            print_change(&change, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_change(change: &MappingChange, json: bool) -> anyhow::Result<()> {
    for warning in &change.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        return print_json(change);
    }
    let rule = format!("{} → {}", matcher_text(&change.rule), change.rule.role);
    let verb = if change.dry_run { "would change" } else { "changed" };
    match (change.dry_run, change.action) {
        (true, action) => println!("dry run: mapping {rule} would be {action}; nothing was written"),
        (false, action) => println!("mapping {rule} {action}"),
    }
    println!("{} user(s) {verb} role", change.changes.len());
    // One write per buffer, not per line: a mapping change may list 100,000 users.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for c in &change.changes {
        writeln!(out, "  {}: {} → {} ({})", c.user_name, role_name(c.old), role_name(c.new), c.explanation)?;
    }
    out.flush()?;
    Ok(())
}

fn print_account(account: &UserAccount) {
    let state = if account.enabled { "enabled" } else { "disabled" };
    println!("account:   {state} (active in Okta: {})", account.active_in_okta);
    if let Some(flag) = account.flag {
        println!("flag:      {flag}");
    }
}

/// Runs a `users` command.
pub async fn users(provider: &Provider, command: UsersCommand, json: bool) -> anyhow::Result<ExitCode> {
    let UsersCommand::Explain { user_name } = command;
    let Some(explained) = provider.explain_user(&user_name).await? else {
        eprintln!("error: no user named '{user_name}'");
        return Ok(ExitCode::FAILURE);
    };
    if json {
        print_json(&explained)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("user:      {} ({})", explained.account.user_name, explained.account.id);
    println!("role:      {}", role_name(explained.account.role));
    print_account(&explained.account);
    println!("groups:");
    if explained.resolution.considered.is_empty() {
        println!("  (none)");
    }
    for c in &explained.resolution.considered {
        let mapped = c.role.map_or_else(|| "unmapped".to_owned(), |r| format!("→ {r}"));
        println!("  {} ({}) {mapped}", c.group.label(), c.group.id);
    }
    match &explained.resolution.winner {
        Some(w) => println!("winner:    {}", w.group.label()),
        None => println!("winner:    none"),
    }
    println!("why:       {}", explained.explanation);
    if explained.resolution.role != explained.account.role {
        let note = if explained.group_sync { "" } else { " (Group Sync is off, so roles are not kept up to date)" };
        println!("note:      the rules give {}, the stored role differs{note}", role_name(explained.resolution.role));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `groups` command.
pub async fn groups(provider: &Provider, command: GroupsCommand, json: bool) -> anyhow::Result<ExitCode> {
    let GroupsCommand::Unmapped = command;
    let unmapped = provider.unmapped_groups().await?;
    if json {
        print_json(&unmapped)?;
        return Ok(ExitCode::SUCCESS);
    }
    if unmapped.is_empty() {
        println!("every pushed group maps to a role");
    }
    for u in &unmapped {
        println!("{} ({}): {} member(s), no role", u.group.label(), u.group.id, u.members);
    }
    if !unmapped.is_empty() {
        println!("map one with: stackflow-admin mappings set <group> <role> --dry-run");
    }
    Ok(ExitCode::SUCCESS)
}

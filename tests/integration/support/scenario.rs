//! Scenario text the tests write by hand: the small synthetic (or custom CSV) worlds that the
//! validation, event and limit tests simulate, one builder so that each test states only what it
//! changes. The defaults are the validation cases' (docs/validation.md): frameworks A and B, one
//! domain `x`, years 0 to 1, logit intensity 1 with synchronous revision, every utility weight 0,
//! every state revising every year at no switching cost, everyone starting on A.

use std::fmt::{self, Display};
use std::path::{Path, PathBuf};

/// A scenario file, rendered by [`Display`] (`to_string()`).
#[must_use]
#[derive(Clone, Debug)]
pub struct ScenarioText {
    name: String,
    frameworks: Vec<String>,
    domains: Vec<String>,
    years: (String, String),
    world: String,
    lambda: String,
    revision: String,
    utility: Vec<(String, String)>,
    tables: Vec<String>,
    revision_rate: String,
    switching_cost: String,
    standards: Option<String>,
    initial: String,
    events: String,
}

impl ScenarioText {
    /// A synthetic world of `agents` states with `degree` out-neighbours each.
    pub fn synthetic(name: &str, agents: impl Display, degree: impl Display) -> ScenarioText {
        ScenarioText::new(
            name,
            format!("source = \"synthetic\"\n[world.synthetic]\nagents = {agents}\ndegree = {degree}\n"),
        )
    }

    /// A custom world read from the CSV files `agents` and `ties` (relative to the scenario file).
    pub fn custom(name: &str, agents: &str, ties: &str) -> ScenarioText {
        ScenarioText::new(
            name,
            format!("source = \"custom\"\n[world.custom]\nagents = \"{agents}\"\nties = \"{ties}\"\n"),
        )
    }

    fn new(name: &str, world: String) -> ScenarioText {
        ScenarioText {
            name: name.into(),
            frameworks: vec!["A".into(), "B".into()],
            domains: vec!["x".into()],
            years: ("0".into(), "1".into()),
            world,
            lambda: "1.0".into(),
            revision: "synchronous".into(),
            utility: Vec::new(),
            tables: Vec::new(),
            revision_rate: "1.0".into(),
            switching_cost: "0.0".into(),
            standards: None,
            initial: "{ A = 1.0 }".into(),
            events: String::new(),
        }
    }

    pub fn frameworks(mut self, names: &[&str]) -> ScenarioText {
        self.frameworks = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// The domains; each gets the same `[domain.NAME]` table.
    pub fn domains(mut self, names: &[&str]) -> ScenarioText {
        self.domains = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// `time.start` and `time.end`.
    pub fn years(mut self, start: impl Display, end: impl Display) -> ScenarioText {
        self.years = (start.to_string(), end.to_string());
        self
    }

    /// One more key of the world's table (`[world.synthetic]` or `[world.custom]`), e.g. `seed`.
    pub fn world(mut self, key: &str, value: impl Display) -> ScenarioText {
        self.world.push_str(&format!("{key} = {value}\n"));
        self
    }

    /// `choice.lambda`, as TOML (`"\"inf\""` for best response).
    pub fn lambda(mut self, lambda: impl Display) -> ScenarioText {
        self.lambda = lambda.to_string();
        self
    }

    /// Best response: `choice.lambda = "inf"`.
    pub fn best_response(self) -> ScenarioText {
        self.lambda("\"inf\"")
    }

    /// `choice.revision`: `"synchronous"` or `"sequential"`.
    pub fn revision(mut self, revision: &str) -> ScenarioText {
        self.revision = revision.into();
        self
    }

    /// A weight of the `[utility]` table, e.g. `("network", 1.5)`.
    pub fn utility(mut self, term: &str, weight: impl Display) -> ScenarioText {
        self.utility.push((term.into(), weight.to_string()));
        self
    }

    /// Affinity `value` of the states of `group` for `framework` (`[framework.F.affinity]`).
    pub fn group_affinity(self, framework: &str, group: &str, value: impl Display) -> ScenarioText {
        self.table(format!("[framework.{framework}.affinity]\n{group} = {value}"))
    }

    /// Tables written verbatim after `[utility]` (framework affinities, heterogeneity, ...).
    pub fn table(mut self, toml: impl Display) -> ScenarioText {
        self.tables.push(toml.to_string());
        self
    }

    /// `revision_rate` of every domain.
    pub fn revision_rate(mut self, rate: impl Display) -> ScenarioText {
        self.revision_rate = rate.to_string();
        self
    }

    /// `switching_cost` of every domain.
    pub fn switching_cost(mut self, cost: impl Display) -> ScenarioText {
        self.switching_cost = cost.to_string();
        self
    }

    /// The `standards` push of every domain, as a TOML table (`{ A = 3.0 }`).
    pub fn standards(mut self, push: &str) -> ScenarioText {
        self.standards = Some(push.into());
        self
    }

    /// The initial shares of every domain for all states, as a TOML table (`{ A = 0.5, B = 0.5 }`).
    pub fn initial(mut self, shares: impl Display) -> ScenarioText {
        self.initial = shares.to_string();
        self
    }

    /// Text written verbatim at the end (`[[event]]` tables).
    pub fn events(mut self, toml: &str) -> ScenarioText {
        self.events = toml.into();
        self
    }

    /// Write the scenario to `dir/file` and return that path.
    pub fn write(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

impl Display for ScenarioText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "name = \"{}\"", self.name)?;
        writeln!(f, "frameworks = [{}]", quoted(&self.frameworks))?;
        writeln!(f, "domains = [{}]", quoted(&self.domains))?;
        writeln!(f, "[time]\nstart = {}\nend = {}", self.years.0, self.years.1)?;
        write!(f, "[world]\n{}", self.world)?;
        writeln!(f, "[choice]\nlambda = {}\nrevision = \"{}\"", self.lambda, self.revision)?;
        if !self.utility.is_empty() {
            writeln!(f, "[utility]")?;
            for (term, weight) in &self.utility {
                writeln!(f, "{term} = {weight}")?;
            }
        }
        for table in &self.tables {
            writeln!(f, "{table}")?;
        }
        for domain in &self.domains {
            writeln!(f, "[domain.{domain}]")?;
            writeln!(
                f,
                "revision_rate = {}\nswitching_cost = {}",
                self.revision_rate, self.switching_cost
            )?;
            if let Some(push) = &self.standards {
                writeln!(f, "standards = {push}")?;
            }
            writeln!(f, "initial = [{{ states = [\"all\"], shares = {} }}]", self.initial)?;
        }
        write!(f, "{}", self.events)
    }
}

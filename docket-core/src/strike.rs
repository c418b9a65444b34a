//! Strikes (S19): rules that stop matching executions without a redeploy.
//!
//! A [`Strike`] names a task, a condition on one parameter of every task, or both. An
//! execution is struck when any rule matches it: a struck schedule writes nothing and returns
//! [`Disposition::Struck`](crate::Disposition::Struck); an execution scheduled before its
//! strike is ended CANCELLED (reason: struck) when a worker reaches it, and a perpetual or cron
//! task skips its runs while struck (its chain keeps its cadence and runs again after the
//! restore). Rules are kept in one bounded structure per docket, and every process keeps a copy
//! that the backend refreshes when a rule changes.
//!
//! Conditions compare the parameter's value as it is stored in the argument map (by the
//! parameter's name, never its position) with a typed [`StrikeValue`]: integers and floats
//! compare as numbers (with each other too), booleans with booleans (`false < true`), strings
//! with strings (byte order). A value of another type, or a missing parameter, never matches,
//! whatever the operator (`!=` included).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::codec;
use crate::error::Error;

/// The most rules a docket keeps.
pub const MAX_STRIKES: usize = 1000;
/// The most bytes one rule may take, encoded (its task name, parameter name and values).
pub const MAX_STRIKE_BYTES: usize = 1024;

/// A value a strike compares a parameter with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StrikeValue {
    /// An integer (of any width and sign the argument map can hold).
    Int(i128),
    /// A floating-point number (not NaN).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

impl StrikeValue {
    /// Reads a value typed on a command line: `true` and `false` are booleans, `42` and `-7`
    /// integers, `2.5` and `1e3` floats, a value in double quotes (`"12345"`) the string
    /// between them, and anything else the string itself.
    pub fn parse(text: &str) -> Self {
        if let Some(inner) = text.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) {
            return Self::Str(inner.to_string());
        }
        match text {
            "true" => return Self::Bool(true),
            "false" => return Self::Bool(false),
            _ => {}
        }
        if let Ok(int) = text.parse::<i128>() {
            if Self::int_fits(int) {
                return Self::Int(int);
            }
        }
        match text.parse::<f64>() {
            Ok(float) if float.is_finite() && text.chars().any(|c| c.is_ascii_digit()) => Self::Float(float),
            _ => Self::Str(text.to_string()),
        }
    }

    /// Whether the argument map can hold `int` (MessagePack integers are `i64` or `u64`).
    fn int_fits(int: i128) -> bool {
        int >= i128::from(i64::MIN) && int <= i128::from(u64::MAX)
    }

    fn to_msgpack(&self) -> rmpv::Value {
        match self {
            Self::Int(int) => match i64::try_from(*int) {
                Ok(int) => rmpv::Value::from(int),
                Err(_) => rmpv::Value::from(u64::try_from(*int).unwrap_or(u64::MAX)),
            },
            Self::Float(float) => rmpv::Value::F64(*float),
            Self::Bool(flag) => rmpv::Value::Boolean(*flag),
            Self::Str(text) => rmpv::Value::from(text.as_str()),
        }
    }

    fn from_msgpack(value: &rmpv::Value) -> Option<Self> {
        Some(match value {
            rmpv::Value::Integer(int) => Self::Int(integer(int)?),
            rmpv::Value::F64(float) => Self::Float(*float),
            rmpv::Value::F32(float) => Self::Float(f64::from(*float)),
            rmpv::Value::Boolean(flag) => Self::Bool(*flag),
            rmpv::Value::String(text) => Self::Str(text.as_str()?.to_string()),
            _ => return None,
        })
    }

    /// How the stored value `arg` compares with this one (`None`: they are not comparable).
    fn compare(&self, arg: &rmpv::Value) -> Option<Ordering> {
        match (arg, self) {
            (rmpv::Value::Integer(int), Self::Int(value)) => Some(integer(int)?.cmp(value)),
            // An integer and a float compare as the numbers they are, exactly.
            (rmpv::Value::Integer(int), Self::Float(value)) => int_float(integer(int)?, *value),
            (rmpv::Value::F64(float), Self::Int(value)) => int_float(*value, *float).map(Ordering::reverse),
            (rmpv::Value::F32(float), Self::Int(value)) => {
                int_float(*value, f64::from(*float)).map(Ordering::reverse)
            }
            (rmpv::Value::F64(float), Self::Float(value)) => float.partial_cmp(value),
            (rmpv::Value::F32(float), Self::Float(value)) => f64::from(*float).partial_cmp(value),
            (rmpv::Value::Boolean(flag), Self::Bool(value)) => Some(flag.cmp(value)),
            (rmpv::Value::String(text), Self::Str(value)) => Some(text.as_bytes().cmp(value.as_bytes())),
            _ => None,
        }
    }
}

/// How `int` compares with `float`, exactly (as `f64`, an integer beyond 2^53 would round);
/// `None` for NaN.
fn int_float(int: i128, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    // Saturates beyond i128's range, where every integer here (at most 2^64) is smaller or
    // larger anyway.
    let whole = float.trunc();
    Some(
        int.cmp(&(whole as i128))
            .then_with(|| 0.0.partial_cmp(&(float - whole)).unwrap_or(Ordering::Equal)),
    )
}

fn integer(int: &rmpv::Integer) -> Option<i128> {
    int.as_i64()
        .map(i128::from)
        .or_else(|| int.as_u64().map(i128::from))
}

impl fmt::Display for StrikeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(int) => write!(f, "{int}"),
            Self::Float(float) => write!(f, "{float:?}"),
            Self::Bool(flag) => write!(f, "{flag}"),
            Self::Str(text) => write!(f, "{text:?}"),
        }
    }
}

macro_rules! from_int {
    ($($int:ty),*) => {$(
        impl From<$int> for StrikeValue {
            fn from(value: $int) -> Self {
                Self::Int(i128::from(value))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl From<f64> for StrikeValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<f32> for StrikeValue {
    fn from(value: f32) -> Self {
        Self::Float(f64::from(value))
    }
}

impl From<bool> for StrikeValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<&str> for StrikeValue {
    fn from(value: &str) -> Self {
        Self::Str(value.to_string())
    }
}

impl From<String> for StrikeValue {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

/// A comparison operator of a strike's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operator {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `between LO HI`, bounds included.
    Between,
}

impl Operator {
    /// How the operator is written: `==`, `!=`, `<`, `<=`, `>`, `>=` or `between`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Between => "between",
        }
    }

    const ALL: [Self; 7] = [
        Self::Eq,
        Self::Ne,
        Self::Lt,
        Self::Le,
        Self::Gt,
        Self::Ge,
        Self::Between,
    ];

    fn code(self) -> u8 {
        match self {
            Self::Eq => 0,
            Self::Ne => 1,
            Self::Lt => 2,
            Self::Le => 3,
            Self::Gt => 4,
            Self::Ge => 5,
            Self::Between => 6,
        }
    }
}

impl FromStr for Operator {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str() == text)
            .ok_or_else(|| Error::InvalidStrike {
                reason: format!("unknown operator `{text}`: expected one of == != < <= > >= between"),
            })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition on one parameter: `param op value` (or `param between value upper`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Condition {
    /// The parameter's name.
    pub param: String,
    /// The operator.
    pub op: Operator,
    /// The value compared with (the lower bound, for `between`).
    pub value: StrikeValue,
    /// The upper bound, for `between` (and only for it).
    pub upper: Option<StrikeValue>,
}

impl Condition {
    /// `param op value`, or with `upper` `param between value upper`; fails when `upper` is
    /// given for another operator than `between`, or missing for it.
    pub fn new(
        param: impl Into<String>,
        op: Operator,
        value: impl Into<StrikeValue>,
        upper: Option<StrikeValue>,
    ) -> Result<Self, Error> {
        let condition = Self {
            param: param.into(),
            op,
            value: value.into(),
            upper,
        };
        if (op == Operator::Between) != condition.upper.is_some() {
            return Err(Error::InvalidStrike {
                reason: "`between` takes two values (LO HI), every other operator one".into(),
            });
        }
        Ok(condition)
    }

    /// Whether the stored value `arg` satisfies the condition.
    fn holds(&self, arg: &rmpv::Value) -> bool {
        let Some(order) = self.value.compare(arg) else {
            return false;
        };
        match self.op {
            Operator::Eq => order == Ordering::Equal,
            Operator::Ne => order != Ordering::Equal,
            Operator::Lt => order == Ordering::Less,
            Operator::Le => order != Ordering::Greater,
            Operator::Gt => order == Ordering::Greater,
            Operator::Ge => order != Ordering::Less,
            Operator::Between => {
                order != Ordering::Less
                    && self
                        .upper
                        .as_ref()
                        .and_then(|upper| upper.compare(arg))
                        .is_some_and(|order| order != Ordering::Greater)
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.upper {
            Some(upper) => write!(f, "{} between {} {upper}", self.param, self.value),
            None => write!(f, "{} {} {}", self.param, self.op, self.value),
        }
    }
}

/// One strike rule: a whole task, a condition on a parameter of every task, or a task plus a
/// condition.
///
/// ```
/// use docket::Strike;
///
/// let maintenance = Strike::task("process_order");
/// let customer = Strike::any_task().arg("customer_id").eq("12345");
/// let big_orders = Strike::task("process_payment").arg("amount").gt(10_000);
/// let range = Strike::any_task().arg("priority").between(1, 3);
/// assert_eq!(big_orders.to_string(), "task process_payment where amount > 10000");
/// # let _ = (maintenance, customer, range);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Strike {
    /// The task struck (`None`: every task).
    pub task: Option<String>,
    /// The condition an execution's arguments must meet to be struck (`None`: every
    /// execution of the task).
    pub condition: Option<Condition>,
}

impl Strike {
    /// Every execution of the task called `name` (its registered name, e.g.
    /// `process_order::NAME`); add [`arg`](Self::arg) for a condition.
    pub fn task(name: impl Into<String>) -> Self {
        Self {
            task: Some(name.into()),
            condition: None,
        }
    }

    /// Every task: follow with [`arg`](Self::arg) and a comparison.
    pub fn any_task() -> StrikeArg {
        StrikeArg {
            task: None,
            param: String::new(),
        }
    }

    /// A rule of `task` (or every task) and `condition` (or every execution); fails when
    /// both are `None`.
    pub fn new(task: Option<String>, condition: Option<Condition>) -> Result<Self, Error> {
        let strike = Self { task, condition };
        strike.validate()?;
        Ok(strike)
    }

    /// Strikes only the executions whose parameter `param` meets the comparison that
    /// follows.
    pub fn arg(self, param: impl Into<String>) -> StrikeArg {
        StrikeArg {
            task: self.task,
            param: param.into(),
        }
    }

    /// Checks the rule can be stored: it names a task or a condition, its names are not
    /// empty, no float is NaN, and it fits in [`MAX_STRIKE_BYTES`].
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| {
            Err(Error::InvalidStrike {
                reason: reason.to_string(),
            })
        };
        if self.task.is_none() && self.condition.is_none() {
            return invalid("a strike names a task, a condition on a parameter, or both");
        }
        if self.task.as_deref() == Some("") {
            return invalid("the task name is empty");
        }
        if let Some(condition) = &self.condition {
            if condition.param.is_empty() {
                return invalid("the parameter name is empty");
            }
            if (condition.op == Operator::Between) != condition.upper.is_some() {
                return invalid("`between` takes two values (LO HI), every other operator one");
            }
            if let Some(upper) = &condition.upper {
                // Bounds that no value lies between are a mistake, not a rule.
                let ordered = match (&condition.value, upper) {
                    (StrikeValue::Int(low), StrikeValue::Int(high)) => low <= high,
                    (StrikeValue::Int(low), StrikeValue::Float(high)) => (*low as f64) <= *high,
                    (StrikeValue::Float(low), StrikeValue::Int(high)) => *low <= (*high as f64),
                    (StrikeValue::Float(low), StrikeValue::Float(high)) => low <= high,
                    (StrikeValue::Bool(low), StrikeValue::Bool(high)) => low <= high,
                    (StrikeValue::Str(low), StrikeValue::Str(high)) => low <= high,
                    _ => {
                        return invalid(
                            "`between` takes two bounds of one type (numbers, booleans or strings)",
                        )
                    }
                };
                if !ordered {
                    return invalid("`between LO HI` needs LO <= HI");
                }
            }
            let values = std::iter::once(&condition.value).chain(&condition.upper);
            for value in values {
                match value {
                    StrikeValue::Float(float) if float.is_nan() => {
                        return invalid("a strike cannot compare with NaN")
                    }
                    StrikeValue::Int(int) if !StrikeValue::int_fits(*int) => {
                        return invalid("the integer is out of the range an argument can hold")
                    }
                    _ => {}
                }
            }
        }
        let size = self.encode().len();
        if size > MAX_STRIKE_BYTES {
            return Err(Error::InvalidStrike {
                reason: format!("the rule takes {size} bytes, more than the {MAX_STRIKE_BYTES} allowed"),
            });
        }
        Ok(())
    }

    /// The rule's canonical encoding: the same rule always encodes the same, so it is also its
    /// identity in storage (`[task, param, op, value, upper]` in MessagePack, nil where
    /// absent).
    pub fn encode(&self) -> Vec<u8> {
        let text = |text: Option<&str>| text.map_or(rmpv::Value::Nil, rmpv::Value::from);
        let condition = self.condition.as_ref();
        let value = rmpv::Value::Array(vec![
            text(self.task.as_deref()),
            text(condition.map(|c| c.param.as_str())),
            condition.map_or(rmpv::Value::Nil, |c| rmpv::Value::from(c.op.code())),
            condition.map_or(rmpv::Value::Nil, |c| c.value.to_msgpack()),
            condition
                .and_then(|c| c.upper.as_ref())
                .map_or(rmpv::Value::Nil, StrikeValue::to_msgpack),
        ]);
        let mut encoded = Vec::new();
        // Writing into a vector cannot fail.
        let _ = rmpv::encode::write_value(&mut encoded, &value);
        encoded
    }

    /// Reads a rule written by [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let malformed = || Error::InvalidStrike {
            reason: "a stored strike rule is malformed".into(),
        };
        let rmpv::Value::Array(parts) = codec::decode_dynamic(bytes)? else {
            return Err(malformed());
        };
        let [task, param, op, value, upper] = parts.as_slice() else {
            return Err(malformed());
        };
        let text = |value: &rmpv::Value| -> Result<Option<String>, Error> {
            match value {
                rmpv::Value::Nil => Ok(None),
                other => other
                    .as_str()
                    .map(|text| Some(text.to_string()))
                    .ok_or_else(malformed),
            }
        };
        let condition = match text(param)? {
            None => None,
            Some(param) => {
                let op = op
                    .as_u64()
                    .and_then(|code| Operator::ALL.into_iter().find(|op| u64::from(op.code()) == code))
                    .ok_or_else(malformed)?;
                let value = StrikeValue::from_msgpack(value).ok_or_else(malformed)?;
                let upper = match upper {
                    rmpv::Value::Nil => None,
                    other => Some(StrikeValue::from_msgpack(other).ok_or_else(malformed)?),
                };
                Some(Condition::new(param, op, value, upper)?)
            }
        };
        Self::new(text(task)?, condition)
    }

    /// Whether the rule strikes an execution of `task` whose argument map is `args`.
    fn strikes(&self, task: &str, args: Option<&[(rmpv::Value, rmpv::Value)]>) -> bool {
        if self.task.as_deref().is_some_and(|name| name != task) {
            return false;
        }
        let Some(condition) = &self.condition else {
            return true;
        };
        args.into_iter()
            .flatten()
            .find(|(name, _)| name.as_str() == Some(condition.param.as_str()))
            .is_some_and(|(_, value)| condition.holds(value))
    }
}

impl fmt::Display for Strike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.task, &self.condition) {
            (Some(task), Some(condition)) => write!(f, "task {task} where {condition}"),
            (Some(task), None) => write!(f, "task {task}"),
            (None, Some(condition)) => write!(f, "every task where {condition}"),
            (None, None) => f.write_str("nothing"),
        }
    }
}

/// A strike on a parameter, waiting for its comparison (see [`Strike::arg`]).
#[derive(Debug, Clone)]
#[must_use = "a strike on a parameter needs a comparison: .eq(..), .gt(..), .between(..), …"]
pub struct StrikeArg {
    task: Option<String>,
    param: String,
}

impl StrikeArg {
    /// The parameter to compare (after [`Strike::any_task`]).
    pub fn arg(mut self, param: impl Into<String>) -> Self {
        self.param = param.into();
        self
    }

    fn compare(self, op: Operator, value: StrikeValue, upper: Option<StrikeValue>) -> Strike {
        Strike {
            task: self.task,
            condition: Some(Condition {
                param: self.param,
                op,
                value,
                upper,
            }),
        }
    }

    /// `param == value`.
    pub fn eq(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Eq, value.into(), None)
    }

    /// `param != value` (a value of another type does not match).
    pub fn ne(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Ne, value.into(), None)
    }

    /// `param < value`.
    pub fn lt(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Lt, value.into(), None)
    }

    /// `param <= value`.
    pub fn le(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Le, value.into(), None)
    }

    /// `param > value`.
    pub fn gt(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Gt, value.into(), None)
    }

    /// `param >= value`.
    pub fn ge(self, value: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Ge, value.into(), None)
    }

    /// `low <= param <= high`.
    pub fn between(self, low: impl Into<StrikeValue>, high: impl Into<StrikeValue>) -> Strike {
        self.compare(Operator::Between, low.into(), Some(high.into()))
    }
}

/// The strike rules of a docket, as one process last read them.
#[derive(Debug, Clone, Default)]
pub struct StrikeList {
    rules: Vec<Strike>,
    /// Tasks struck as a whole: checked without reading the arguments.
    whole: HashSet<String>,
}

impl StrikeList {
    /// The list of `rules`.
    pub fn new(rules: Vec<Strike>) -> Self {
        let whole = rules
            .iter()
            .filter(|rule| rule.condition.is_none())
            .filter_map(|rule| rule.task.clone())
            .collect();
        Self { rules, whole }
    }

    /// Whether `other` holds exactly the same rules, in the same order.
    pub fn same_rules(&self, other: &StrikeList) -> bool {
        self.rules == other.rules
    }

    /// Whether there are no rules (the hot path checks nothing else).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules.
    pub fn iter(&self) -> impl Iterator<Item = &Strike> {
        self.rules.iter()
    }

    /// The first rule that strikes an execution of `task` with the encoded argument map
    /// `args`. Arguments are read only when a condition could apply; arguments that cannot be
    /// read meet no condition (the worker fails them as it would anyway).
    pub fn find(&self, task: &str, args: &[u8]) -> Option<&Strike> {
        if self.rules.is_empty() {
            return None;
        }
        if self.whole.contains(task) {
            return self
                .rules
                .iter()
                .find(|rule| rule.condition.is_none() && rule.task.as_deref() == Some(task));
        }
        let mut decoded: Option<Option<rmpv::Value>> = None;
        self.rules.iter().find(|rule| {
            if rule.condition.is_none() || rule.task.as_deref().is_some_and(|name| name != task) {
                return false;
            }
            let map = decoded.get_or_insert_with(|| codec::decode_dynamic(args).ok());
            let entries = match map {
                Some(rmpv::Value::Map(entries)) => Some(entries.as_slice()),
                _ => None,
            };
            rule.strikes(task, entries)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Order {
        customer_id: &'static str,
        amount: i64,
        rush: bool,
        weight: f64,
    }

    fn args() -> Vec<u8> {
        codec::encode_args(&Order {
            customer_id: "12345",
            amount: 500,
            rush: true,
            weight: 2.5,
        })
        .unwrap()
    }

    fn struck(rule: Strike) -> bool {
        StrikeList::new(vec![rule])
            .find("orders.process", &args())
            .is_some()
    }

    #[test]
    fn whole_task_strikes_match_only_that_task() {
        let list = StrikeList::new(vec![Strike::task("orders.process")]);
        assert!(list.find("orders.process", &args()).is_some());
        assert!(list.find("orders.refund", &args()).is_none());
        assert!(StrikeList::default().find("orders.process", &args()).is_none());
    }

    #[test]
    fn integers_and_floats_compare_exactly() {
        assert_eq!(int_float(2, 2.5), Some(Ordering::Less));
        assert_eq!(int_float(3, 2.5), Some(Ordering::Greater));
        assert_eq!(int_float(2, 2.0), Some(Ordering::Equal));
        assert_eq!(int_float(0, -0.5), Some(Ordering::Greater));
        assert_eq!(int_float(-1, -0.5), Some(Ordering::Less));
        assert_eq!(int_float(i128::from(u64::MAX), 1e300), Some(Ordering::Less));
        assert_eq!(int_float(i128::from(i64::MIN), -1e300), Some(Ordering::Greater));
        assert_eq!(int_float(1, f64::NAN), None);
        // 2^53 + 1 rounds to 2^53 as a float: compared as floats they would be equal.
        let big = 9_007_199_254_740_993_i64;
        let rule = |rule: Strike| {
            let args = codec::encode_args(&std::collections::BTreeMap::from([("n", big)])).unwrap();
            StrikeList::new(vec![rule]).find("t", &args).is_some()
        };
        assert!(rule(Strike::any_task().arg("n").gt(9_007_199_254_740_992.0)));
        assert!(!rule(Strike::any_task().arg("n").eq(9_007_199_254_740_992.0)));
    }

    #[test]
    fn every_operator_compares_typed_values() {
        let any = Strike::any_task;
        assert!(struck(any().arg("customer_id").eq("12345")));
        assert!(!struck(any().arg("customer_id").eq("12346")));
        assert!(struck(any().arg("customer_id").ne("12346")));
        assert!(struck(any().arg("amount").gt(100)));
        assert!(!struck(any().arg("amount").gt(500)));
        assert!(struck(any().arg("amount").ge(500)));
        assert!(struck(any().arg("amount").le(500)));
        assert!(!struck(any().arg("amount").lt(500)));
        assert!(struck(any().arg("amount").lt(501)));
        assert!(struck(any().arg("amount").between(500, 600)));
        assert!(struck(any().arg("amount").between(400, 500)));
        assert!(!struck(any().arg("amount").between(501, 600)));
        // Integers and floats compare as numbers, with each other too.
        assert!(struck(any().arg("amount").gt(499.5)));
        assert!(struck(any().arg("weight").between(2, 3)));
        assert!(!struck(any().arg("weight").eq(2)));
        assert!(struck(any().arg("rush").eq(true)));
        assert!(struck(any().arg("rush").gt(false)));
        assert!(struck(any().arg("customer_id").lt("2")));
    }

    #[test]
    fn incomparable_or_missing_values_never_match() {
        let any = Strike::any_task;
        // A string parameter is not the integer 12345, whatever the operator.
        assert!(!struck(any().arg("customer_id").eq(12345)));
        assert!(!struck(any().arg("customer_id").ne(12345)));
        assert!(!struck(any().arg("rush").ne(1)));
        assert!(!struck(any().arg("missing").ne("x")));
        assert!(!struck(any().arg("amount").between("a", "z")));
    }

    #[test]
    fn a_task_plus_condition_needs_both() {
        assert!(struck(Strike::task("orders.process").arg("amount").gt(100)));
        assert!(!struck(Strike::task("orders.refund").arg("amount").gt(100)));
        assert!(!struck(Strike::task("orders.process").arg("amount").gt(1000)));
    }

    #[test]
    fn rules_encode_canonically_and_decode_back() {
        let rules = [
            Strike::task("orders.process"),
            Strike::any_task().arg("customer_id").eq("12345"),
            Strike::task("t").arg("amount").between(-5, u64::MAX),
            Strike::task("t").arg("weight").le(2.5),
            Strike::any_task().arg("rush").ne(false),
        ];
        for rule in rules {
            assert_eq!(Strike::decode(&rule.encode()).unwrap(), rule);
            assert_eq!(rule.encode(), rule.clone().encode());
        }
        assert_ne!(
            Strike::any_task().arg("a").eq(1).encode(),
            Strike::any_task().arg("a").eq("1").encode()
        );
        assert!(Strike::decode(b"\x93\xc0\xc0\xc0").is_err());
        assert!(Strike::decode(b"not msgpack at all").is_err());
    }

    #[test]
    fn invalid_rules_are_refused_with_a_reason() {
        assert!(Strike::new(None, None).is_err());
        assert!(Strike::task("").validate().is_err());
        assert!(Strike::any_task().arg("").eq(1).validate().is_err());
        assert!(Strike::any_task().arg("x").eq(f64::NAN).validate().is_err());
        assert!(Strike::task("x".repeat(MAX_STRIKE_BYTES)).validate().is_err());
        assert!(Condition::new("x", Operator::Between, 1, None).is_err());
        assert!(Condition::new("x", Operator::Eq, 1, Some(2.into())).is_err());
        assert!("=~".parse::<Operator>().is_err());
        assert!(Strike::any_task().arg("x").between(10, 1).validate().is_err());
        assert!(Strike::any_task().arg("x").between(1, "z").validate().is_err());
        assert!(Strike::any_task().arg("x").between(1, 2.5).validate().is_ok());
    }

    #[test]
    fn command_line_values_are_typed() {
        assert_eq!(StrikeValue::parse("12345"), StrikeValue::Int(12345));
        assert_eq!(StrikeValue::parse("-7"), StrikeValue::Int(-7));
        assert_eq!(StrikeValue::parse("2.5"), StrikeValue::Float(2.5));
        assert_eq!(StrikeValue::parse("1e3"), StrikeValue::Float(1000.0));
        assert_eq!(StrikeValue::parse("true"), StrikeValue::Bool(true));
        assert_eq!(StrikeValue::parse("\"12345\""), StrikeValue::Str("12345".into()));
        assert_eq!(StrikeValue::parse("acme"), StrikeValue::Str("acme".into()));
        assert_eq!(StrikeValue::parse("inf"), StrikeValue::Str("inf".into()));
        assert_eq!(StrikeValue::parse("NaN"), StrikeValue::Str("NaN".into()));
        for op in Operator::ALL {
            assert_eq!(op.as_str().parse::<Operator>().unwrap(), op);
        }
    }
}

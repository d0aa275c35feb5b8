//! The organisation model (SPEC ORG-1..3): a tree of units, staff who belong
//! to one unit, vehicles, and service points that the public meets.

use crate::text::{self, FieldError};

labelled_enum! {
    /// What a node of the unit tree is.
    UnitKind {
        Company = "company", "公司", "Company";
        Station = "station", "收费站", "Station";
        Terminal = "terminal", "客运站", "Terminal";
        Lock = "lock", "船闸", "Ship lock";
        Hall = "hall", "营业厅", "Service hall";
        Department = "department", "部室", "Department";
        Team = "team", "班组", "Team";
    }
}

labelled_enum! {
    /// Where the public meets the organisation.
    ServicePointKind {
        Lane = "lane", "收费车道", "Toll lane";
        Window = "window", "服务窗口", "Window";
        Kiosk = "kiosk", "便民服务亭", "Kiosk";
        Taxi = "taxi", "出租车", "Taxi";
    }
}

/// A validated new unit. `parent_code` refers to another unit of the same
/// organisation; `None` places the unit at the top of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    pub employee_no: String,
    pub name: String,
    pub unit_code: String,
    pub position: Option<String>,
    pub phone: Option<String>,
    /// A service certificate's number (a driver's 客运服务资格证), published
    /// on the vehicle's public card.
    pub certificate_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVehicle {
    pub plate: String,
    pub unit_code: String,
    pub driver_employee_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServicePoint {
    pub code: String,
    pub name: String,
    pub kind: ServicePointKind,
    pub unit_code: String,
    pub vehicle_plate: Option<String>,
}

/// Raw text as it arrives from a form, an API body or a spreadsheet row.
pub trait Fields {
    fn get(&self, field: &str) -> &str;
}

impl Fields for std::collections::HashMap<String, String> {
    fn get(&self, field: &str) -> &str {
        self.get(field).map(String::as_str).unwrap_or("")
    }
}

/// Collects every field error instead of stopping at the first, so that a
/// form or a spreadsheet row reports all its problems at once.
struct Checker(Vec<FieldError>);

impl Checker {
    fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

pub fn parse_unit(f: &impl Fields) -> Result<NewUnit, Vec<FieldError>> {
    let mut c = Checker(vec![]);
    let code = c.take(text::code("code", f.get("code")));
    let name = c.take(text::required("name", f.get("name"), 60));
    let kind = c.take(UnitKind::parse(f.get("kind")).ok_or_else(|| {
        FieldError::new("kind", unknown_kind_message(UnitKind::ALL.iter().map(|k| k.as_str())))
    }));
    let parent_code = c.take(text::optional("parent_code", f.get("parent_code"), 32));
    match (code, name, kind, parent_code) {
        (Some(code), Some(name), Some(kind), Some(parent_code)) if c.0.is_empty() => {
            Ok(NewUnit { code, name, kind, parent_code })
        }
        _ => Err(c.0),
    }
}

pub fn parse_staff(f: &impl Fields) -> Result<NewStaff, Vec<FieldError>> {
    let mut c = Checker(vec![]);
    let employee_no = c.take(text::code("employee_no", f.get("employee_no")));
    let name = c.take(text::required("name", f.get("name"), 40));
    let unit_code = c.take(text::code("unit_code", f.get("unit_code")));
    let position = c.take(text::optional("position", f.get("position"), 40));
    let phone = if f.get("phone").trim().is_empty() {
        Some(None)
    } else {
        c.take(text::phone("phone", f.get("phone")).map(Some))
    };
    let certificate_no = c.take(text::optional("certificate_no", f.get("certificate_no"), 40));
    match (employee_no, name, unit_code, position, phone, certificate_no) {
        (
            Some(employee_no),
            Some(name),
            Some(unit_code),
            Some(position),
            Some(phone),
            Some(certificate_no),
        ) => Ok(NewStaff { employee_no, name, unit_code, position, phone, certificate_no }),
        _ => Err(c.0),
    }
}

pub fn parse_vehicle(f: &impl Fields) -> Result<NewVehicle, Vec<FieldError>> {
    let mut c = Checker(vec![]);
    let plate = c.take(plate("plate", f.get("plate")));
    let unit_code = c.take(text::code("unit_code", f.get("unit_code")));
    let driver = c.take(text::optional("driver_employee_no", f.get("driver_employee_no"), 32));
    match (plate, unit_code, driver) {
        (Some(plate), Some(unit_code), Some(driver_employee_no)) => {
            Ok(NewVehicle { plate, unit_code, driver_employee_no })
        }
        _ => Err(c.0),
    }
}

pub fn parse_service_point(f: &impl Fields) -> Result<NewServicePoint, Vec<FieldError>> {
    let mut c = Checker(vec![]);
    let code = c.take(text::code("code", f.get("code")));
    let name = c.take(text::required("name", f.get("name"), 60));
    let kind = c.take(ServicePointKind::parse(f.get("kind")).ok_or_else(|| {
        FieldError::new("kind", unknown_kind_message(ServicePointKind::ALL.iter().map(|k| k.as_str())))
    }));
    let unit_code = c.take(text::code("unit_code", f.get("unit_code")));
    let vehicle_plate = c.take(text::optional("vehicle_plate", f.get("vehicle_plate"), 16));
    if kind == Some(ServicePointKind::Taxi) && vehicle_plate == Some(None) {
        c.0.push(FieldError::new(
            "vehicle_plate",
            "出租车服务点需要车牌号 / a taxi service point needs a plate",
        ));
    }
    match (code, name, kind, unit_code, vehicle_plate) {
        (Some(code), Some(name), Some(kind), Some(unit_code), Some(vehicle_plate)) if c.0.is_empty() => {
            Ok(NewServicePoint { code, name, kind, unit_code, vehicle_plate })
        }
        _ => Err(c.0),
    }
}

fn unknown_kind_message<'a>(allowed: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = allowed.collect();
    format!("未知类型 / unknown kind; one of: {}", list.join(", "))
}

/// A Chinese licence plate such as `晋A·12345` or `晋AD12345`: a province
/// character followed by 5 to 8 letters and digits (a middle dot is dropped).
pub fn plate(field: &str, value: &str) -> Result<String, FieldError> {
    let v: String = value.trim().chars().filter(|c| *c != '·' && *c != ' ').collect();
    let mut chars = v.chars();
    let first_ok = chars.next().is_some_and(|c| !c.is_ascii() && c.is_alphabetic());
    let rest: Vec<char> = chars.collect();
    let rest_ok = (5..=8).contains(&rest.len()) && rest.iter().all(|c| c.is_ascii_alphanumeric());
    if first_ok && rest_ok {
        Ok(v.to_uppercase())
    } else {
        Err(FieldError::new(field, "车牌号格式不正确 / not a licence plate (e.g. 晋A12345)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_staff_row_reports_every_bad_field() {
        let errs =
            parse_staff(&fields(&[("employee_no", "a b"), ("name", ""), ("unit_code", "S1")])).unwrap_err();
        let names: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["employee_no", "name"]);
    }

    #[test]
    fn unit_kinds_parse_from_chinese_and_english() {
        assert_eq!(UnitKind::parse("收费站"), Some(UnitKind::Station));
        assert_eq!(UnitKind::parse("team"), Some(UnitKind::Team));
        assert_eq!(UnitKind::parse("Ship lock"), Some(UnitKind::Lock));
        assert_eq!(UnitKind::parse("castle"), None);
    }

    #[test]
    fn plates_are_normalised() {
        assert_eq!(plate("plate", "晋a·12345").unwrap(), "晋A12345");
        assert!(plate("plate", "12345").is_err());
        assert!(plate("plate", "晋A1").is_err());
    }

    #[test]
    fn a_taxi_point_needs_its_plate() {
        let f = fields(&[("code", "T1"), ("name", "出租车"), ("kind", "taxi"), ("unit_code", "C1")]);
        assert_eq!(parse_service_point(&f).unwrap_err()[0].field, "vehicle_plate");
    }
}

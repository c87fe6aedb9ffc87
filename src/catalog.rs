//! Schema replay: the tables, columns and constraints the migrations have built so far, so a
//! rule can ask what existed before a statement. Tables not created in the migrations seen are
//! unknown here and treated by rules as existing and possibly large.

use crate::fasthash::FastMap;
use std::sync::Arc;

use crate::ir::{ConstraintKind, ObjName, Op, ViewColumn};

/// Tables are shared copy-on-write (`Arc`), so remembering one before a change is cheap.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tables: FastMap<(String, String), Arc<Table>>,
    /// While a checkpoint is open: each entry changed, with its value before.
    undo: Vec<Undo>,
    /// Open checkpoints (nested: a function body inside a down part): their start in `undo`.
    marks: Vec<usize>,
    /// Candidate lookups, so dropping or renaming a table or dropping an index does not scan
    /// every table (a tree of 50,000 migrations took 17 s, quadratic): which tables may hold
    /// an index of a name ((schema, index) → tables), and which may hold a foreign key to a
    /// table (table → tables). Supersets: entries are added whenever a table changes and
    /// never removed, so they stay valid across `rollback`; each use checks the table itself.
    index_owners: FastMap<u64, Owners>,
    referencing: FastMap<u64, Owners>,
    /// Which tables may be partitions of a table (same rules).
    children: FastMap<u64, Owners>,
    /// Which views may read a table or view (same rules).
    dependents: FastMap<u64, Owners>,
    /// Which tables may own a serial column's sequence (same rules).
    sequence_owners: FastMap<u64, Owners>,
    /// Which tables may have a column of a type (an enum, a domain: by the type's name).
    type_users: FastMap<u64, Owners>,
}

/// A table's (schema, name); unqualified names are in `public`.
type Key = (String, String);

/// A table's key as borrowed names, for looking up `Catalog::tables` without copying them:
/// hashes and compares as the `Key` it stands for (a tuple hashes its fields in order).
trait KeyRef {
    fn parts(&self) -> (&str, &str);
}

impl KeyRef for Key {
    fn parts(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
}

impl KeyRef for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn KeyRef + 'a> for Key {
    fn borrow(&self) -> &(dyn KeyRef + 'a) {
        self
    }
}

impl std::hash::Hash for dyn KeyRef + '_ {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl PartialEq for dyn KeyRef + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyRef + '_ {}

/// The type a column's written type names (`mood`, `s."Mood"`, `mood[]`): its (schema, name),
/// unqualified in `public`; typmods and array brackets dropped.
pub fn type_name(ty: &str) -> Option<ObjName> {
    let mut t = ty.trim();
    while let Some(x) = t.strip_suffix("[]") {
        t = x.trim_end();
    }
    let t = t.split('(').next()?.trim();
    let parts = crate::ir::unquote_qualified(t);
    let fold = |p: &str| {
        if t.contains('"') {
            p.to_string()
        } else {
            p.to_ascii_lowercase()
        }
    };
    match parts.as_slice() {
        [n] if !n.is_empty() => Some(ObjName::new(fold(n))),
        [s, n] => Some(ObjName {
            schema: Some(fold(s)),
            name: fold(n),
        }),
        _ => None,
    }
}

/// Whether two names are the same object (unqualified means `public`).
pub fn same(a: &ObjName, b: &ObjName) -> bool {
    kref(a) == kref(b)
}

/// What a statement added to a table (see `Catalog::register_added`).
enum Added<'a> {
    Index,
    Fk,
    Column(&'a str),
    PartitionOf,
}

/// Candidate tables, sorted and unique (a set; most hold one table, and a B-tree node per
/// entry made the candidate maps the largest part of the catalog: 27 MB for 50,000 indexes).
type Owners = Vec<Key>;

/// A candidate map's key: a hash of (schema, name), so registering a table's hundredth index
/// again allocates nothing. A collision only adds candidates, which every use checks.
fn hkey(schema: &str, name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fasthash::FastHasher::default();
    (schema, name).hash(&mut h);
    h.finish()
}

fn hkey_of(n: &ObjName) -> u64 {
    hkey(n.schema.as_deref().unwrap_or("public"), &n.name)
}

fn hkey_key(k: &Key) -> u64 {
    hkey(&k.0, &k.1)
}

fn add_owner(map: &mut FastMap<u64, Owners>, at: u64, owner: (&str, &str)) {
    add_owner_to(map.entry(at).or_default(), owner);
}

fn add_owner_to(v: &mut Owners, owner: (&str, &str)) {
    // ordered as the `Key`s are (a tuple compares its fields in order); copied only when new
    if let Err(i) = v.binary_search_by(|o| kref_of(o).cmp(&owner)) {
        v.insert(i, (owner.0.to_string(), owner.1.to_string()));
    }
}

type Undo = (Key, Option<Arc<Table>>);

#[derive(Debug, Clone)]
pub struct Table {
    pub name: ObjName,
    /// The migration unit (run order) that created it; `None` when it predates what we saw.
    pub created_in: Option<usize>,
    pub partitioned: bool,
    /// Columns and indexes are shared between copies: a table is copied whole when a down part
    /// changes it (to be restored after), and copying a wide table's every name was quadratic
    /// over a long history.
    pub columns: Vec<Arc<Column>>,
    pub checks: Vec<Check>,
    pub indexes: Vec<Arc<Index>>,
    /// Foreign keys this table holds (to the tables they reference).
    pub fks: Vec<Fk>,
    /// The partitioned table it is a partition of.
    pub partition_of: Option<ObjName>,
    /// Set for a view or materialized view: what its query depends on.
    pub view: Option<Box<View>>,
}

impl Table {
    fn new(name: ObjName, created_in: Option<usize>) -> Table {
        Table {
            name,
            created_in,
            partitioned: false,
            columns: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            fks: Vec::new(),
            partition_of: None,
            view: None,
        }
    }
}

/// A view's dependencies, as PostgreSQL records them when the view is created: the relations
/// its query reads and the columns of theirs it uses (`*` expanded to the columns then).
#[derive(Debug, Clone)]
pub struct View {
    pub materialized: bool,
    pub reads: Vec<ObjName>,
    pub uses: Vec<(ObjName, String)>,
}

/// An index by name with the columns it lists (expressions are not resolved).
#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// What follows the table name in its CREATE INDEX, as compact text.
    pub definition: String,
}

#[derive(Debug, Clone)]
pub struct Fk {
    /// The constraint name (PostgreSQL's default `<table>_<columns>_fkey` when unnamed).
    pub name: String,
    pub columns: Vec<String>,
    pub references: ObjName,
}

impl Fk {
    fn new(
        table: &ObjName,
        name: Option<&String>,
        columns: Vec<String>,
        references: &ObjName,
    ) -> Fk {
        Fk {
            name: name
                .cloned()
                .unwrap_or_else(|| format!("{}_{}_fkey", table.name, columns.join("_"))),
            columns,
            references: references.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: String,
    pub not_null: bool,
    /// A `serial` column's sequence (`<table>_<column>_seq`, in the table's schema) and the
    /// sequence's integer type (`smallint`, `integer`, `bigint`): a later type change of the
    /// column leaves the sequence's type as it is.
    pub serial_seq: Option<Box<(ObjName, String)>>,
    /// `type_hkey(ty)`, kept with `ty` (`set_type`): registering a table parsed every column's
    /// type name again each time.
    type_key: u64,
}

/// The `type_users` key of a column type: 0 when it names no type (see `type_name`), else the
/// hash of the name with its low bit set (so no name's key is 0; a collision only adds
/// candidates, which every use checks).
fn type_hkey(ty: &str) -> u64 {
    // PostgreSQL's own types are never what a migration alters or drops (see `types::is_builtin`)
    if crate::pg::types::is_builtin(ty) {
        return 0;
    }
    type_name(ty).map_or(0, |n| hkey_of(&n) | 1)
}

/// The `type_users` key of a type's name (see `type_hkey`).
fn type_hkey_of(n: &ObjName) -> u64 {
    hkey_of(n) | 1
}

impl Column {
    fn set_type(&mut self, ty: &str) {
        self.ty = ty.to_string();
        self.type_key = type_hkey(ty);
    }

    fn new(table: &ObjName, name: &str, ty: &str, not_null: bool) -> Column {
        let base = ty.trim();
        let is = |names: [&str; 2]| names.iter().any(|n| base.eq_ignore_ascii_case(n));
        let seq_type = if is(["smallserial", "serial2"]) {
            Some("smallint")
        } else if is(["serial", "serial4"]) {
            Some("integer")
        } else if is(["bigserial", "serial8"]) {
            Some("bigint")
        } else {
            None
        };
        Column {
            name: name.to_string(),
            ty: ty.to_string(),
            not_null,
            type_key: type_hkey(ty),
            serial_seq: seq_type.map(|st| {
                let seq = ObjName {
                    schema: table.schema.clone(),
                    name: format!("{}_{name}_seq", table.name),
                };
                Box::new((seq, st.to_string()))
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: Option<String>,
    /// Set when the expression is exactly `col IS NOT NULL`.
    pub not_null_of: Option<String>,
    pub validated: bool,
}

/// `key` without copying: (schema, name), unqualified in `public`.
fn kref(n: &ObjName) -> (&str, &str) {
    (n.schema.as_deref().unwrap_or("public"), &n.name)
}

fn kref_of(k: &Key) -> (&str, &str) {
    (&k.0, &k.1)
}

fn key(n: &ObjName) -> (String, String) {
    (
        n.schema.clone().unwrap_or_else(|| "public".to_string()),
        n.name.clone(),
    )
}

impl Catalog {
    /// Starts recording changes so `rollback` can undo them. A down part is linted against the
    /// schema its up part left and must not change the forward schema; cloning the catalog for
    /// each migration instead was quadratic (thousands of migrations and tables took seconds).
    pub fn checkpoint(&mut self) {
        self.marks.push(self.undo.len());
    }

    /// Undoes every change since the last `checkpoint`.
    pub fn rollback(&mut self) {
        let Some(mark) = self.marks.pop() else {
            return;
        };
        while self.undo.len() > mark {
            let Some((k, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(t) => self.tables.insert(k, t),
                None => self.tables.remove(&k),
            };
        }
    }

    /// Records an entry's value before it changes (while a checkpoint is open).
    fn remember(&mut self, k: &(String, String)) {
        if !self.marks.is_empty() {
            self.undo.push((k.clone(), self.tables.get(k).cloned()));
        }
    }

    /// Changes those of the `candidates` that `pred` selects with `change` (copying only those).
    fn change_where(
        &mut self,
        candidates: Option<&Owners>,
        pred: impl Fn(&Table) -> bool,
        change: impl Fn(&mut Table),
    ) {
        let keys: Vec<Key> = candidates
            .into_iter()
            .flatten()
            .filter(|k| self.tables.get(*k).is_some_and(|t| pred(t)))
            .cloned()
            .collect();
        for k in keys {
            self.remember(&k);
            if let Some(t) = self.tables.get_mut(&k) {
                change(Arc::make_mut(t));
            }
            self.register(&k);
        }
    }

    /// Adds a table's indexes and foreign keys to the candidate lookups.
    fn register(&mut self, k: &Key) {
        let Some(t) = self.tables.get(k) else {
            return;
        };
        for i in &t.indexes {
            add_owner(&mut self.index_owners, hkey(&k.0, &i.name), kref_of(k));
        }
        for f in &t.fks {
            add_owner(&mut self.referencing, hkey_of(&f.references), kref_of(k));
        }
        if let Some(p) = &t.partition_of {
            add_owner(&mut self.children, hkey_of(p), kref_of(k));
        }
        for r in t.view.iter().flat_map(|v| &v.reads) {
            add_owner(&mut self.dependents, hkey_of(r), kref_of(k));
        }
        for (seq, _) in t.columns.iter().filter_map(|c| c.serial_seq.as_deref()) {
            add_owner(&mut self.sequence_owners, hkey_of(seq), kref_of(k));
        }
        for c in t.columns.iter().filter(|c| c.type_key != 0) {
            add_owner(&mut self.type_users, c.type_key, kref_of(k));
        }
    }

    /// The tables with a column of type `ty`, with those columns (in table-name order).
    pub fn columns_of_type(&self, ty: &ObjName) -> Vec<(&Table, Vec<&str>)> {
        self.type_users
            .get(&type_hkey_of(ty))
            .into_iter()
            .flatten()
            .filter_map(|k| self.tables.get(k))
            .filter_map(|t| {
                let cols: Vec<&str> = t
                    .columns
                    .iter()
                    .filter(|c| type_name(&c.ty).is_some_and(|n| same(&n, ty)))
                    .map(|c| c.name.as_str())
                    .collect();
                (!cols.is_empty()).then_some((&**t, cols))
            })
            .collect()
    }

    /// The views (and materialized views) that read a table or view, in name order.
    pub fn views_reading(&self, table: &ObjName) -> Vec<&Table> {
        let k = kref(table);
        self.dependents
            .get(&hkey_of(table))
            .into_iter()
            .flatten()
            .filter_map(|v| self.tables.get(v))
            .filter(|v| {
                v.view
                    .as_ref()
                    .is_some_and(|d| d.reads.iter().any(|r| kref(r) == k))
            })
            .map(|v| &**v)
            .collect()
    }

    /// The views that use `table.column` (PostgreSQL refuses to change its type or drop it).
    pub fn views_using(&self, table: &ObjName, column: &str) -> Vec<&Table> {
        let k = kref(table);
        self.views_reading(table)
            .into_iter()
            .filter(|v| {
                v.view
                    .as_ref()
                    .is_some_and(|d| d.uses.iter().any(|(t, c)| c == column && kref(t) == k))
            })
            .collect()
    }

    /// Removes views that depend on what `gone` selects among the views reading `table`, and
    /// the views reading those (CASCADE).
    fn drop_dependent_views(&mut self, table: &ObjName, gone: impl Fn(&View) -> bool) {
        let mut todo: Vec<ObjName> = self
            .views_reading(table)
            .into_iter()
            .filter(|v| v.view.as_deref().is_some_and(&gone))
            .map(|v| v.name.clone())
            .collect();
        while let Some(v) = todo.pop() {
            if self.remove(&v).is_some() {
                todo.extend(self.views_reading(&v).into_iter().map(|d| d.name.clone()));
            }
        }
    }

    /// A view's dependencies from what its query names (see `parse::view_deps`): a qualified
    /// column belongs to its table; a bare one to the one relation of the innermost SELECT
    /// that has it (or, its columns unknown, may have it), else of the SELECT around it; `*`
    /// to every column known then.
    fn view_uses(&self, columns: &[ViewColumn]) -> Vec<(ObjName, String)> {
        let mut uses: Vec<(ObjName, String)> = Vec::new();
        let mut add = |t: &ObjName, c: &str| {
            if !uses.iter().any(|(x, y)| x == t && y == c) {
                uses.push((t.clone(), c.to_string()));
            }
        };
        for c in columns {
            match c {
                ViewColumn::Named { table, column } => add(table, column),
                ViewColumn::Bare { column, scopes } => {
                    for scope in scopes {
                        let mut has = Vec::new();
                        let mut may = Vec::new();
                        for r in scope {
                            match self.table(r) {
                                Some(t) if t.columns.iter().any(|x| &x.name == column) => {
                                    has.push(r)
                                }
                                // created by the migrations (columns all known), or a view
                                Some(t) if t.created_in.is_some() || t.view.is_some() => {}
                                _ => may.push(r),
                            }
                        }
                        match (has.as_slice(), may.as_slice()) {
                            ([t], []) | ([], [t]) => add(t, column),
                            ([], []) => continue, // an outer SELECT's column
                            _ => {}               // ambiguous here: not attributed
                        }
                        break;
                    }
                }
                ViewColumn::All(t) => {
                    if let Some(tab) = self.table(t) {
                        for col in &tab.columns {
                            add(t, &col.name);
                        }
                    }
                }
            }
        }
        uses
    }

    /// A table or view renamed: the entry moves, and what refers to it (foreign keys, views)
    /// follows, as in PostgreSQL (references are by OID).
    fn rename_relation(&mut self, from: &ObjName, to: &str) {
        let Some(t) = self.remove(from) else {
            return;
        };
        let mut t = Arc::unwrap_or_clone(t);
        t.name.name = to.to_string();
        let new = t.name.clone();
        self.insert(t);
        let old = key(from);
        let candidates = self.referencing.get(&hkey_key(&old)).cloned();
        self.change_where(
            candidates.as_ref(),
            |o| o.fks.iter().any(|f| kref(&f.references) == kref_of(&old)),
            |o| {
                for f in &mut o.fks {
                    if kref(&f.references) == kref_of(&old) {
                        f.references = new.clone();
                    }
                }
            },
        );
        let candidates = self.dependents.get(&hkey_key(&old)).cloned();
        self.change_where(
            candidates.as_ref(),
            |o| {
                o.view
                    .as_ref()
                    .is_some_and(|v| v.reads.iter().any(|r| kref(r) == kref_of(&old)))
            },
            |o| {
                if let Some(v) = o.view.as_deref_mut() {
                    for r in v.reads.iter_mut().chain(v.uses.iter_mut().map(|(t, _)| t)) {
                        if kref(r) == kref_of(&old) {
                            *r = new.clone();
                        }
                    }
                }
            },
        );
    }

    /// The partitions of a partitioned table the migrations showed, and theirs (in name order
    /// per level).
    pub fn partitions(&self, parent: &ObjName) -> Vec<&Table> {
        let mut out: Vec<&Table> = Vec::new();
        let mut todo = vec![key(parent)];
        while let Some(p) = todo.pop() {
            for k in self.children.get(&hkey_key(&p)).into_iter().flatten() {
                if let Some(t) = self.tables.get(k)
                    && t.partition_of
                        .as_ref()
                        .is_some_and(|x| kref(x) == kref_of(&p))
                    && !out.iter().any(|o| o.name == t.name)
                {
                    out.push(t);
                    todo.push(k.clone());
                }
            }
        }
        out
    }

    fn insert(&mut self, t: Table) {
        let k = key(&t.name);
        self.remember(&k);
        self.tables.insert(k.clone(), Arc::new(t));
        self.register(&k);
    }

    fn remove(&mut self, name: &ObjName) -> Option<Arc<Table>> {
        let k = key(name);
        self.remember(&k);
        self.tables.remove(&k)
    }

    pub fn table(&self, name: &ObjName) -> Option<&Table> {
        self.tables.get(&kref(name) as &dyn KeyRef).map(|t| &**t)
    }

    /// The table, creating an entry for a table that predates the migrations we saw (an ALTER
    /// of an unknown table proves it exists; we learn its shape as statements touch it).
    fn table_mut(&mut self, name: &ObjName) -> Option<&mut Table> {
        if !self.marks.is_empty() {
            self.remember(&key(name));
        }
        // looked up by reference: the key's names are copied only for a new entry
        if !self.tables.contains_key(&kref(name) as &dyn KeyRef) {
            self.tables
                .insert(key(name), Arc::new(Table::new(name.clone(), None)));
        }
        self.tables
            .get_mut(&kref(name) as &dyn KeyRef)
            .map(Arc::make_mut)
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// A validated `CHECK (col IS NOT NULL)` on the table, if any.
    pub fn valid_not_null_check(&self, table: &ObjName, column: &str) -> Option<&Check> {
        self.table(table)?
            .checks
            .iter()
            .find(|c| c.validated && c.not_null_of.as_deref() == Some(column))
    }

    /// A `NOT VALID` `CHECK (col IS NOT NULL)` on the table, if any.
    pub fn unvalidated_not_null_check(&self, table: &ObjName, column: &str) -> Option<&Check> {
        self.table(table)?
            .checks
            .iter()
            .find(|c| !c.validated && c.not_null_of.as_deref() == Some(column))
    }

    /// Registers what one statement added to a table in the candidate lookups: only the new
    /// item (re-registering a table's every index on each ALTER made a tree of 100,000 files
    /// spend 15 % of its time there).
    fn register_added(&mut self, k: (&str, &str), added: Added<'_>) {
        let Some(t) = self.tables.get(&k as &dyn KeyRef) else {
            return;
        };
        match added {
            Added::Index => {
                if let Some(i) = t.indexes.last() {
                    add_owner(&mut self.index_owners, hkey(k.0, &i.name), k);
                }
            }
            Added::Fk => {
                if let Some(f) = t.fks.last() {
                    add_owner(&mut self.referencing, hkey_of(&f.references), k);
                }
            }
            Added::Column(name) => {
                for f in t
                    .fks
                    .iter()
                    .filter(|f| f.columns.len() == 1 && f.columns[0] == name)
                {
                    add_owner(&mut self.referencing, hkey_of(&f.references), k);
                }
                for c in t.columns.iter().filter(|c| c.name == name) {
                    if let Some((seq, _)) = c.serial_seq.as_deref() {
                        add_owner(&mut self.sequence_owners, hkey_of(seq), k);
                    }
                    if c.type_key != 0 {
                        add_owner(&mut self.type_users, c.type_key, k);
                    }
                }
            }
            Added::PartitionOf => {
                if let Some(p) = &t.partition_of {
                    add_owner(&mut self.children, hkey_of(p), k);
                }
            }
        }
    }

    /// Applies one operation of migration unit `unit`.
    pub fn apply(&mut self, op: &Op, unit: usize) {
        match op {
            Op::CreateTable {
                table,
                columns,
                constraints,
                partitioned,
                if_not_exists,
                partition_of,
                ..
            } => {
                if *if_not_exists && self.table(&table.name).is_some() {
                    return;
                }
                let mut checks = Vec::new();
                let mut fks = Vec::new();
                for c in constraints {
                    match &c.kind {
                        ConstraintKind::Check { not_null_of } => checks.push(Check {
                            name: c.name.clone(),
                            not_null_of: not_null_of.clone(),
                            validated: true,
                        }),
                        ConstraintKind::ForeignKey {
                            columns,
                            references,
                        } => fks.push(Fk::new(
                            &table.name,
                            c.name.as_ref(),
                            columns.clone(),
                            &references.name,
                        )),
                        _ => {}
                    }
                }
                for col in columns {
                    if let Some(r) = &col.references {
                        fks.push(Fk::new(&table.name, None, vec![col.name.clone()], &r.name));
                    }
                }
                let t = Table {
                    name: table.name.clone(),
                    created_in: Some(unit),
                    partitioned: *partitioned,
                    columns: columns
                        .iter()
                        .map(|c| Arc::new(Column::new(&table.name, &c.name, &c.ty, c.not_null)))
                        .collect(),
                    checks,
                    indexes: Vec::new(),
                    fks,
                    partition_of: partition_of.as_ref().map(|p| p.name.clone()),
                    view: None,
                };
                self.insert(t);
            }
            Op::DropTable {
                tables, cascade, ..
            } => {
                for t in tables {
                    if *cascade {
                        self.drop_dependent_views(&t.name, |_| true);
                    }
                    self.remove(&t.name);
                    // CASCADE drops the foreign keys pointing at it
                    let dropped = key(&t.name);
                    let candidates = self.referencing.get(&hkey_key(&dropped)).cloned();
                    self.change_where(
                        candidates.as_ref(),
                        |o| {
                            o.fks
                                .iter()
                                .any(|f| kref(&f.references) == kref_of(&dropped))
                        },
                        |o| o.fks.retain(|f| kref(&f.references) != kref_of(&dropped)),
                    );
                }
            }
            Op::RenameTable { table, to, .. } => self.rename_relation(&table.name, to),
            Op::RenameView { name, to } => self.rename_relation(name, to),
            Op::DropView { names, cascade, .. } => {
                for v in names {
                    if *cascade {
                        self.drop_dependent_views(&v.name, |_| true);
                    }
                    self.remove(&v.name);
                }
            }
            Op::AddColumn { table, column, .. } => {
                if let Some(t) = self.table_mut(&table.name) {
                    t.columns.push(Arc::new(Column::new(
                        &table.name,
                        &column.name,
                        &column.ty,
                        column.not_null,
                    )));
                    if let Some(r) = &column.references {
                        t.fks.push(Fk::new(
                            &table.name,
                            None,
                            vec![column.name.clone()],
                            &r.name,
                        ));
                    }
                }
                self.register_added(kref(&table.name), Added::Column(&column.name));
            }
            Op::DropColumn {
                table,
                column,
                cascade,
                ..
            } => {
                if *cascade {
                    let k = key(&table.name);
                    self.drop_dependent_views(&table.name, |v| {
                        v.uses
                            .iter()
                            .any(|(t, c)| c == column && kref(t) == kref_of(&k))
                    });
                }
                if let Some(t) = self.table_mut(&table.name) {
                    t.columns.retain(|c| &c.name != column);
                    t.checks
                        .retain(|c| c.not_null_of.as_deref() != Some(column));
                    t.fks.retain(|f| !f.columns.contains(column));
                }
            }
            Op::RenameColumn {
                table, from, to, ..
            } => {
                if let Some(t) = self.table_mut(&table.name) {
                    for c in &mut t.columns {
                        if &c.name == from {
                            Arc::make_mut(c).name = to.clone();
                        }
                    }
                    for c in &mut t.checks {
                        if c.not_null_of.as_deref() == Some(from) {
                            c.not_null_of = Some(to.clone());
                        }
                    }
                }
                // views keep using the column under its new name
                let k = key(&table.name);
                let candidates = self.dependents.get(&hkey_key(&k)).cloned();
                let uses = |v: &View| {
                    v.uses
                        .iter()
                        .any(|(t, c)| c == from && kref(t) == kref_of(&k))
                };
                self.change_where(
                    candidates.as_ref(),
                    |o| o.view.as_deref().is_some_and(uses),
                    |o| {
                        if let Some(v) = o.view.as_deref_mut() {
                            for (t, c) in &mut v.uses {
                                if c == from && kref(t) == kref_of(&k) {
                                    *c = to.clone();
                                }
                            }
                        }
                    },
                );
            }
            Op::AlterColumnType {
                table, column, ty, ..
            } => {
                if let Some(c) = self
                    .table_mut(&table.name)
                    .and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
                {
                    Arc::make_mut(c).set_type(ty);
                }
                self.register_added(kref(&table.name), Added::Column(column));
            }
            Op::DropType {
                names,
                cascade: true,
                ..
            } => {
                // CASCADE drops the columns of the type
                for n in names {
                    let candidates = self.type_users.get(&type_hkey_of(&n.name)).cloned();
                    let uses = |c: &Column| type_name(&c.ty).is_some_and(|t| same(&t, &n.name));
                    self.change_where(
                        candidates.as_ref(),
                        |t| t.columns.iter().any(|c| uses(c)),
                        |t| t.columns.retain(|c| !uses(c)),
                    );
                }
            }
            Op::SetNotNull { table, column, .. } | Op::DropNotNull { table, column, .. } => {
                let set = matches!(op, Op::SetNotNull { .. });
                if let Some(c) = self
                    .table_mut(&table.name)
                    .and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
                {
                    Arc::make_mut(c).not_null = set;
                }
            }
            Op::AddConstraint { table, constraint } => {
                let Some(t) = self.table_mut(&table.name) else {
                    return;
                };
                match &constraint.kind {
                    ConstraintKind::Check { not_null_of } => t.checks.push(Check {
                        name: constraint.name.clone(),
                        not_null_of: not_null_of.clone(),
                        validated: !constraint.not_valid,
                    }),
                    ConstraintKind::ForeignKey {
                        columns,
                        references,
                    } => {
                        t.fks.push(Fk::new(
                            &table.name,
                            constraint.name.as_ref(),
                            columns.clone(),
                            &references.name,
                        ));
                        self.register_added(kref(&table.name), Added::Fk);
                    }
                    _ => {}
                }
            }
            Op::ValidateConstraint { table, name, .. } => {
                if let Some(t) = self.table_mut(&table.name) {
                    for c in &mut t.checks {
                        if c.name.as_deref() == Some(name.as_str()) {
                            c.validated = true;
                        }
                    }
                }
            }
            Op::DropConstraint { table, name, .. } => {
                if let Some(t) = self.table_mut(&table.name) {
                    t.checks
                        .retain(|c| c.name.as_deref() != Some(name.as_str()));
                    t.fks.retain(|f| &f.name != name);
                }
            }
            Op::CreateView {
                name,
                materialized,
                reads,
                columns,
            } => {
                // a materialized view has storage, indexes and refreshes like a table
                let mut t = Table::new(name.clone(), Some(unit));
                t.view = Some(Box::new(View {
                    materialized: *materialized,
                    uses: self.view_uses(columns),
                    reads: reads.clone(),
                }));
                self.insert(t);
            }
            Op::CreateIndex {
                name,
                table,
                columns,
                unique,
                definition,
                ..
            } => {
                if let Some(t) = self.table_mut(&table.name) {
                    t.indexes.push(Arc::new(Index {
                        name: name.clone().unwrap_or_default(),
                        columns: columns.clone(),
                        unique: *unique,
                        definition: definition.clone(),
                    }));
                }
                self.register_added(kref(&table.name), Added::Index);
            }
            Op::AlterTableOther { table, action, .. } => {
                let words: Vec<&str> = action.split_whitespace().collect();
                let attach = words
                    .first()
                    .is_some_and(|w| w.eq_ignore_ascii_case("attach"));
                let detach = words
                    .first()
                    .is_some_and(|w| w.eq_ignore_ascii_case("detach"));
                if (attach || detach)
                    && words
                        .get(1)
                        .is_some_and(|w| w.eq_ignore_ascii_case("partition"))
                    && let Some(name) = words.get(2)
                {
                    let parts = crate::ir::unquote_qualified(name);
                    let lower = |s: &str, quoted: bool| {
                        if quoted {
                            s.to_string()
                        } else {
                            s.to_ascii_lowercase()
                        }
                    };
                    let quoted = name.contains('"');
                    let part = match parts.as_slice() {
                        [s, n] => ObjName {
                            schema: Some(lower(s, quoted)),
                            name: lower(n, quoted),
                        },
                        [n] => ObjName {
                            schema: None,
                            name: lower(n, quoted),
                        },
                        _ => return,
                    };
                    let parent = table.name.clone();
                    if let Some(t) = self.table_mut(&part) {
                        t.partition_of = attach.then_some(parent);
                    }
                    self.register_added(kref(&part), Added::PartitionOf);
                }
            }
            // a new default (or none) stops the column drawing from its serial sequence
            Op::SetDefault { table, column, .. } | Op::DropDefault { table, column, .. } => {
                if self.table(&table.name).is_some_and(|t| {
                    t.columns
                        .iter()
                        .any(|c| &c.name == column && c.serial_seq.is_some())
                }) && let Some(c) = self
                    .table_mut(&table.name)
                    .and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
                {
                    Arc::make_mut(c).serial_seq = None;
                }
            }
            Op::AlterSequence {
                name,
                as_type: Some(ty),
            } => {
                let seq = key(name);
                let candidates = self.sequence_owners.get(&hkey_key(&seq)).cloned();
                let owns = |c: &Column| {
                    c.serial_seq
                        .as_deref()
                        .is_some_and(|(s, _)| kref(s) == kref_of(&seq))
                };
                self.change_where(
                    candidates.as_ref(),
                    |t| t.columns.iter().any(|c| owns(c)),
                    |t| {
                        for c in t.columns.iter_mut().filter(|c| owns(c)) {
                            if let Some(b) = &mut Arc::make_mut(c).serial_seq {
                                b.1 = crate::pg::types::normalize(ty).base;
                            }
                        }
                    },
                );
            }
            Op::DropIndex { names, .. } => {
                // an index lives in its table's schema: `DROP INDEX s.i` drops i of schema s
                for x in names {
                    let schema = x.schema.as_deref().unwrap_or("public");
                    // (only the schema's tables: a hash collision may bring others)
                    let candidates: Option<Owners> = self
                        .index_owners
                        .get(&hkey(schema, &x.name))
                        .map(|o| o.iter().filter(|k| k.0 == schema).cloned().collect());
                    self.change_where(
                        candidates.as_ref(),
                        |t| t.indexes.iter().any(|i| i.name == x.name),
                        |t| t.indexes.retain(|i| i.name != x.name),
                    );
                }
            }
            _ => {}
        }
    }

    /// Whether the migrations left `table.column` NOT NULL (false when unknown).
    pub fn is_not_null(&self, table: &ObjName, column: &str) -> bool {
        self.table(table)
            .and_then(|t| t.columns.iter().find(|c| c.name == column))
            .is_some_and(|c| c.not_null)
    }

    /// The foreign keys a table holds (none when the migrations did not show the table).
    pub fn fks(&self, table: &ObjName) -> &[Fk] {
        self.table(table).map_or(&[], |t| t.fks.as_slice())
    }

    /// The table an index belongs to, when the migrations created it. An index lives in its
    /// table's schema, so `s.i` is looked for among the tables of schema `s` (unqualified:
    /// `public`); among those, index names are unique. Tables of the same name in two schemas
    /// each with an index of that name are told apart by the schema, never by hash order.
    pub fn table_of_index(&self, index: &ObjName) -> Option<&Table> {
        let schema = index.schema.as_deref().unwrap_or("public");
        self.index_owners
            .get(&hkey(schema, &index.name))?
            .iter()
            .filter(|k| k.0 == schema)
            .filter_map(|k| self.tables.get(k))
            .map(|t| &**t)
            .find(|t| t.indexes.iter().any(|i| i.name == index.name))
    }

    /// Whether an index of the table is known to list `column` (or the table's indexes are
    /// unknown: it predates the migrations migcheck read).
    pub fn maybe_indexed(&self, table: &ObjName, column: &str) -> bool {
        match self.table(table) {
            Some(t) if t.created_in.is_some() => t
                .indexes
                .iter()
                .any(|i| i.columns.iter().any(|c| c == column)),
            _ => true,
        }
    }

    /// Whether every partition the migrations showed of a partitioned table already has an
    /// index equivalent to this one (same uniqueness and definition): then CREATE INDEX on the
    /// parent attaches those instead of building (at least one partition must be known).
    pub fn partitions_have_index(&self, parent: &ObjName, unique: bool, definition: &str) -> bool {
        let leaves: Vec<&Table> = self
            .partitions(parent)
            .into_iter()
            .filter(|p| !p.partitioned)
            .collect();
        !leaves.is_empty()
            && leaves.iter().all(|p| {
                p.indexes
                    .iter()
                    .any(|i| i.unique == unique && i.definition == definition)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table is found by borrowed names exactly when its `Key` is equal (the borrowed form
    /// hashes and orders as the key does).
    #[test]
    fn tables_are_found_by_borrowed_names() {
        let mut m: FastMap<Key, u32> = FastMap::default();
        for (i, (s, n)) in [
            ("public", "users"),
            ("app", "users"),
            ("public", "user"),
            ("", ""),
        ]
        .into_iter()
        .enumerate()
        {
            m.insert((s.to_string(), n.to_string()), i as u32);
        }
        for (k, want) in &m {
            let borrowed = (k.0.as_str(), k.1.as_str());
            assert_eq!(m.get(&borrowed as &dyn KeyRef), Some(want));
        }
        for missing in [("public", "users2"), ("app", "user"), ("publicusers", "")] {
            assert_eq!(m.get(&missing as &dyn KeyRef), None, "{missing:?}");
        }
        let mut owners: Owners = Vec::new();
        for o in [("b", "x"), ("a", "z"), ("a", "y"), ("b", "x")] {
            add_owner_to(&mut owners, o);
        }
        let mut sorted = owners.clone();
        sorted.sort();
        assert_eq!(owners, sorted);
        assert_eq!(owners.len(), 3);
    }

    fn replay(sql: &str) -> Catalog {
        let mut c = Catalog::default();
        for s in crate::parse::parse_source(sql).statements {
            for op in &s.ops {
                c.apply(op, 1);
            }
        }
        c
    }

    fn name(schema: Option<&str>, n: &str) -> ObjName {
        let sql = match schema {
            Some(s) => format!("DROP INDEX {s}.{n}"),
            None => format!("DROP INDEX {n}"),
        };
        match crate::parse::parse_source(&sql).statements[0].ops.first() {
            Some(Op::DropIndex { names, .. }) => names[0].clone(),
            other => panic!("{other:?}"),
        }
    }

    fn uses(c: &Catalog, t: &str, col: &str) -> Vec<String> {
        c.views_using(&ObjName::new(t), col)
            .iter()
            .map(|v| v.name.to_string())
            .collect()
    }

    /// Views follow renames of their columns and tables, CASCADE drops them (and the views
    /// reading those), and a rollback brings them back.
    #[test]
    fn views_follow_renames_and_go_with_cascade() {
        let mut c = replay(
            "CREATE TABLE t (a int, b int); CREATE VIEW v AS SELECT a FROM t;
             CREATE VIEW w AS SELECT * FROM v; CREATE VIEW x AS SELECT b FROM t;
             ALTER TABLE t RENAME COLUMN a TO a2; ALTER TABLE t RENAME TO u;",
        );
        assert_eq!(uses(&c, "u", "a2"), ["v"]);
        assert!(uses(&c, "u", "a").is_empty());
        assert_eq!(uses(&c, "u", "b"), ["x"]);
        c.checkpoint();
        for s in crate::parse::parse_source("ALTER TABLE u DROP COLUMN a2 CASCADE").statements {
            for op in &s.ops {
                c.apply(op, 2);
            }
        }
        assert!(uses(&c, "u", "a2").is_empty());
        assert!(
            c.table(&ObjName::new("w")).is_none(),
            "w read v: dropped too"
        );
        assert!(c.table(&ObjName::new("x")).is_some());
        c.rollback();
        assert_eq!(uses(&c, "u", "a2"), ["v"]);
        assert!(c.table(&ObjName::new("w")).is_some());
    }

    /// Same table and index names in two schemas: the index's schema decides, every time
    /// (it was the first table in hash order, so the message changed from run to run).
    #[test]
    fn index_table_is_found_by_schema() {
        let c = replay(
            "CREATE TABLE t (a int); CREATE INDEX i ON t (a);
             CREATE TABLE s.t (a int); CREATE INDEX i ON s.t (a);
             CREATE TABLE s.u (a int); CREATE INDEX j ON s.u (a);",
        );
        for _ in 0..20 {
            let t = c.table_of_index(&name(Some("s"), "i")).expect("s.i");
            assert_eq!(t.name.to_string(), "s.t");
            let t = c.table_of_index(&name(None, "i")).expect("i");
            assert_eq!(t.name.to_string(), "t");
        }
        assert!(c.table_of_index(&name(None, "j")).is_none());
        assert!(c.table_of_index(&name(Some("public"), "i")).is_some());
    }
}

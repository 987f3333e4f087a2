-- The ERP's customer table (SQLite). seq is the change feed's cursor: raise it on every change.
CREATE TABLE customers (customer_no INTEGER PRIMARY KEY, tax_no TEXT, name TEXT, grade TEXT, seq BIGINT NOT NULL DEFAULT 0);
INSERT INTO customers (customer_no, tax_no, name, grade, seq) VALUES
  (1, '91310000MA1FL0001X', '甲公司', 'A', 1),
  (2, '91310000MA1FL0002Y', '乙公司', 'B', 2),
  (3, '91310000MA1FL0003Z', '丙公司', 'C', 3);

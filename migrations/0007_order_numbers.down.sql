ALTER TABLE orders DROP COLUMN number;
DROP SEQUENCE IF EXISTS order_number_seq;

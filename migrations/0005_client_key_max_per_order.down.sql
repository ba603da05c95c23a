ALTER TABLE products DROP COLUMN max_per_order;
DROP INDEX orders_client_open_idx;
ALTER TABLE orders DROP COLUMN client_key;

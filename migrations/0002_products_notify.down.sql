DROP TRIGGER IF EXISTS products_notify_update ON products;
DROP TRIGGER IF EXISTS products_notify ON products;
DROP FUNCTION IF EXISTS products_notify();

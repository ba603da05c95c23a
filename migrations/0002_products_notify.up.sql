-- Every change to a product (an admin edit, and every stock reservation or
-- release) is announced on the channel products_changed, so the cached
-- public catalog of every replica rebuilds within a second (internal/catalog).
-- The payload is the product id; Postgres delivers a notification only once
-- the transaction commits, and folds duplicates within one transaction. An
-- UPDATE that changes nothing (a reservation of a product with unlimited
-- stock) announces nothing.
CREATE FUNCTION products_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('products_changed', OLD.id::text);
    ELSE
        PERFORM pg_notify('products_changed', NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_notify AFTER INSERT OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION products_notify();

CREATE TRIGGER products_notify_update AFTER UPDATE ON products
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION products_notify();

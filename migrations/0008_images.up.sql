-- Uploaded product pictures, kept in Postgres so every replica serves them
-- with no shared disk.
--
-- media is content-addressed: key is a hash of the uploaded bytes, so the
-- same file uploaded twice (for one product or several) is stored once.
-- Only the resized, re-encoded variants are kept, never the original: its
-- metadata (GPS and all) never reaches the database.
CREATE TABLE media (
    key        text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{32}$'),
    -- The original's size, upright.
    width      integer NOT NULL CHECK (width > 0),
    height     integer NOT NULL CHECK (height > 0),
    ext        text NOT NULL CHECK (ext IN ('jpg', 'png')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE media_variants (
    key          text NOT NULL REFERENCES media (key) ON DELETE CASCADE,
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    content_type text NOT NULL,
    -- A strong ETag: a hash of data.
    etag         text NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (key, width)
);

-- A product's pictures in order; the first (lowest position) is the main
-- one. products.image_url stays as it was: an external picture shown when
-- a product has no uploaded one (existing values keep working unchanged).
CREATE TABLE product_images (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    media_key  text NOT NULL REFERENCES media (key),
    alt        text NOT NULL DEFAULT '' CHECK (char_length(alt) <= 500),
    position   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, media_key)
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position);
CREATE INDEX product_images_media_idx ON product_images (media_key);

-- A change of a product's pictures is a change of the product: the cached
-- catalog of every replica rebuilds (see 0002).
CREATE FUNCTION product_images_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('products_changed', OLD.product_id::text);
    ELSE
        PERFORM pg_notify('products_changed', NEW.product_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_images_notify AFTER INSERT OR UPDATE OR DELETE ON product_images
    FOR EACH ROW EXECUTE FUNCTION product_images_notify();

-- The stored bytes go with the last picture that shows them: removed from its
-- product, or with its product (ON DELETE CASCADE above).
CREATE FUNCTION product_images_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM media m WHERE m.key = OLD.media_key
        AND NOT EXISTS (SELECT 1 FROM product_images WHERE media_key = OLD.media_key);
    RETURN NULL;
END
$$;

CREATE TRIGGER product_images_release AFTER DELETE ON product_images
    FOR EACH ROW EXECUTE FUNCTION product_images_release();

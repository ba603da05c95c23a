CREATE TABLE products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    unit_amount bigint NOT NULL CHECK (unit_amount BETWEEN 1 AND 99999999),
    currency    text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    image_url   text NOT NULL DEFAULT '' CHECK (char_length(image_url) <= 2048),
    -- NULL means unlimited; otherwise the units still available to reserve.
    stock       bigint CHECK (stock BETWEEN 0 AND 1000000),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_created_idx ON products (created_at DESC, id DESC);

CREATE TABLE orders (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'processing', 'paid', 'failed', 'expired', 'refunded')),
    product_id        uuid NOT NULL REFERENCES products (id),
    -- A snapshot of what was sold, at the price it was sold for.
    product_name      text NOT NULL,
    unit_amount       bigint NOT NULL CHECK (unit_amount > 0),
    quantity          bigint NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    amount_total      bigint NOT NULL CHECK (amount_total > 0 AND amount_total = unit_amount * quantity),
    currency          text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    customer_email    text NOT NULL DEFAULT '',
    session_id        text UNIQUE,
    payment_intent_id text,
    -- Set when Stripe reported an amount or currency other than the order's.
    flagged           boolean NOT NULL DEFAULT false,
    flag_reason       text NOT NULL DEFAULT '',
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    paid_at           timestamptz,
    refunded_at       timestamptz,
    CHECK (status NOT IN ('paid', 'refunded') OR paid_at IS NOT NULL)
);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_payment_intent_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
CREATE INDEX orders_product_idx ON orders (product_id);
CREATE INDEX orders_paid_at_idx ON orders (paid_at) WHERE paid_at IS NOT NULL;

-- The inbox: every Stripe event received, once.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY CHECK (id <> ''),
    type         text NOT NULL,
    api_version  text NOT NULL DEFAULT '',
    order_id     uuid REFERENCES orders (id),
    payload      bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX stripe_events_received_idx ON stripe_events (received_at DESC, id DESC);
CREATE INDEX stripe_events_order_idx ON stripe_events (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE admins (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admins_email_idx ON admins (email);

-- Admin sessions, in the layout of github.com/alexedwards/scs/pgxstore.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

//! A whole schema of every kind at once.

use super::*;

const RICH: &str = r#"CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA billing;
CREATE TYPE public.status AS ENUM ('new', 'paid', 'void');
CREATE TABLE public.customers (
  id bigserial PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  name text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  tags text[] DEFAULT '{}',
  referrer bigint REFERENCES public.customers (id) ON DELETE SET NULL
);
COMMENT ON TABLE public.customers IS 'people who pay';
COMMENT ON COLUMN public.customers.email IS 'login';
CREATE INDEX customers_tags ON public.customers USING gin (tags);
CREATE INDEX customers_recent ON public.customers (created_at DESC) WHERE referrer IS NOT NULL;
CREATE TABLE billing.invoices (
  id int GENERATED ALWAYS AS IDENTITY,
  customer_id bigint NOT NULL REFERENCES public.customers ON DELETE CASCADE DEFERRABLE,
  issued date NOT NULL,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  tax numeric(12,2) GENERATED ALWAYS AS (amount * 0.2) STORED,
  status public.status NOT NULL DEFAULT 'new',
  PRIMARY KEY (id, issued)
) PARTITION BY RANGE (issued);
CREATE TABLE billing.invoices_2024 PARTITION OF billing.invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE billing.invoices_rest PARTITION OF billing.invoices DEFAULT;
CREATE INDEX invoices_customer ON billing.invoices (customer_id) INCLUDE (amount);
CREATE SEQUENCE billing.invoice_numbers START 1000 INCREMENT 10;
CREATE VIEW billing.open_invoices AS SELECT i.id, c.email, i.amount FROM billing.invoices i JOIN public.customers c ON c.id = i.customer_id WHERE i.status = 'new';
CREATE MATERIALIZED VIEW billing.totals AS SELECT customer_id, sum(amount) AS total FROM billing.invoices GROUP BY customer_id;
CREATE UNIQUE INDEX totals_customer ON billing.totals (customer_id);
CREATE FUNCTION billing.total_of(c bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM billing.invoices WHERE customer_id = c $$;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE PROCEDURE billing.void_all() LANGUAGE sql AS $$ UPDATE billing.invoices SET status = 'void' $$;
COMMENT ON FUNCTION billing.total_of(bigint) IS 'sum of invoices';
"#;

#[test]
fn a_whole_schema_made_changed_and_dropped() {
    crate::require!(Db::Postgres);
    roundtrip(PG, "", RICH);
    let changed = RICH
        .replace("('new', 'paid', 'void')", "('new', 'sent', 'paid', 'void')")
        .replace("tags text[] DEFAULT '{}',", "tags text[] DEFAULT '{}',\n  phone text,")
        .replace("INCLUDE (amount)", "INCLUDE (amount, issued)")
        .replace("WHERE i.status = 'new'", "WHERE i.status <> 'paid'")
        .replace("RETURN NEW; END", "RETURN NEW; END;")
        .replace("BEFORE UPDATE ON public.customers", "BEFORE INSERT OR UPDATE ON public.customers")
        .replace("START 1000 INCREMENT 10", "START 1000 INCREMENT 5")
        + "CREATE TABLE billing.invoices_2025 PARTITION OF billing.invoices FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";
    let r = roundtrip_with(
        PG,
        RICH,
        &changed,
        "INSERT INTO public.customers (email, name) VALUES ('a@example.com', 'A');
         INSERT INTO billing.invoices (customer_id, issued, amount) VALUES (1, '2024-03-01', 10);",
    );
    assert_has(
        &r.up.statements,
        "ALTER TYPE public.status ADD VALUE 'sent' BEFORE 'paid'",
    );
    assert_has(
        &r.up.statements,
        "ALTER SEQUENCE billing.invoice_numbers INCREMENT BY 5",
    );
    roundtrip(PG, RICH, "");
}

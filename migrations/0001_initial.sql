-- Tables of the bandit service. Tables change only through numbered migrations like this one;
-- views and functions live in sql/ and are rebuilt on every migrate.

CREATE TABLE mab.experiments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE
                     CHECK (char_length(name) BETWEEN 1 AND 255 AND name = btrim(name)),
    description      text,
    algorithm        text NOT NULL DEFAULT 'thompson_sampling'
                     CHECK (algorithm IN ('thompson_sampling', 'ucb')),
    confidence_level double precision NOT NULL DEFAULT 0.95
                     CHECK (confidence_level BETWEEN 0.5 AND 0.999),
    -- Prior, allocation floor, burn-in and the other tunables; validated by the API, defaults
    -- filled in by the service so that what is stored is what is used.
    settings         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    status           text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'paused', 'completed', 'archived')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mab.variants (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id bigint NOT NULL REFERENCES mab.experiments (id) ON DELETE CASCADE,
    name          text NOT NULL
                  CHECK (char_length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    -- Display and allocation order; the control is flagged here so that it cannot name a
    -- variant of another experiment.
    position      integer NOT NULL CHECK (position >= 0),
    is_control    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (experiment_id, name),
    UNIQUE (experiment_id, position),
    UNIQUE (experiment_id, id)
);

-- At most one control per experiment.
CREATE UNIQUE INDEX variants_one_control ON mab.variants (experiment_id) WHERE is_control;

CREATE TABLE mab.daily_data (
    experiment_id bigint NOT NULL REFERENCES mab.experiments (id) ON DELETE CASCADE,
    variant_id    bigint NOT NULL,
    date          date NOT NULL,
    impressions   bigint NOT NULL,
    conversions   bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT daily_data_one_row_per_day UNIQUE (experiment_id, variant_id, date),
    -- A row's variant must belong to the row's experiment.
    CONSTRAINT daily_data_variant_in_experiment FOREIGN KEY (experiment_id, variant_id)
        REFERENCES mab.variants (experiment_id, id) ON DELETE CASCADE,
    CONSTRAINT daily_data_counts_valid CHECK (0 <= conversions AND conversions <= impressions)
);

-- Splits that tools actually put live, each effective from a date until the next one.
CREATE TABLE mab.deployments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id  bigint NOT NULL REFERENCES mab.experiments (id) ON DELETE CASCADE,
    effective_date date NOT NULL,
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_by_experiment ON mab.deployments (experiment_id, effective_date, id);

CREATE TABLE mab.deployment_shares (
    deployment_id bigint NOT NULL REFERENCES mab.deployments (id) ON DELETE CASCADE,
    variant_id    bigint NOT NULL REFERENCES mab.variants (id) ON DELETE CASCADE,
    -- Fraction of traffic, 0..1; the shares of one deployment sum to 1 (checked by the API).
    share         double precision NOT NULL CHECK (share >= 0 AND share <= 1),
    PRIMARY KEY (deployment_id, variant_id)
);

-- Reporting views for BI tools: plain relations over every experiment, named for people.

CREATE VIEW mab_api.variant_statistics AS
SELECT e.id AS experiment_id,
       e.name AS experiment,
       e.status,
       t.variant,
       t.position,
       t.is_control,
       t.impressions,
       t.conversions,
       t.days_with_data,
       t.first_date,
       t.last_date,
       t.conversions::double precision / nullif(t.impressions, 0) AS conversion_rate,
       e.confidence_level,
       (mab_api.wilson_interval(t.conversions, t.impressions, e.confidence_level)).lower AS wilson_lower,
       (mab_api.wilson_interval(t.conversions, t.impressions, e.confidence_level)).upper AS wilson_upper,
       s.prior_alpha + t.conversions AS posterior_alpha,
       s.prior_beta + (t.impressions - t.conversions) AS posterior_beta
FROM mab.experiments AS e
JOIN mab_api.variant_totals AS t ON t.experiment_id = e.id
JOIN mab_api.experiment_settings AS s ON s.experiment_id = e.id;

COMMENT ON VIEW mab_api.variant_statistics IS
    'Per experiment and variant: totals, conversion rate, Wilson interval, Beta posterior parameters.';

CREATE VIEW mab_api.daily_report AS
SELECT e.name AS experiment, e.status, series.*
FROM mab.experiments AS e
CROSS JOIN LATERAL mab_api.daily_series(e.id) AS series;

COMMENT ON VIEW mab_api.daily_report IS
    'Per experiment, variant and day: counts, running totals, cumulative rate and Wilson interval.';

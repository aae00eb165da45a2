-- name: variant_summary
-- Per variant over an inclusive date range: pooled and stratified posteriors, Wilson interval
-- of the pooled rate at the experiment's confidence level.
SELECT s.*,
       s.conversions::double precision / nullif(s.impressions, 0) AS conversion_rate,
       (mab_api.wilson_interval(s.conversions, s.impressions, %(confidence)s)).lower AS wilson_lower,
       (mab_api.wilson_interval(s.conversions, s.impressions, %(confidence)s)).upper AS wilson_upper
FROM mab_api.variant_summary(%(experiment_id)s, %(from)s::date, %(to)s::date) AS s;

-- name: latest_data_date
-- The last date with data on or before %(to)s (NULL: no bound), or NULL without data.
SELECT max(date) AS latest FROM mab.daily_data
WHERE experiment_id = %(experiment_id)s AND (%(to)s::date IS NULL OR date <= %(to)s::date);

-- name: recent_traffic
-- Average daily impressions per variant over the last %(days)s dates with data up to %(to)s.
SELECT * FROM mab_api.recent_traffic(%(experiment_id)s, %(to)s::date, %(days)s::integer);

-- name: expected_traffic
-- Observed and deployment-expected impressions per variant over an inclusive date range.
SELECT * FROM mab_api.expected_traffic(%(experiment_id)s, %(from)s::date, %(to)s::date);

-- name: daily_series
-- Per variant and day from %(from)s to %(to)s (inclusive, NULL: open): counts, running totals
-- since the first day, cumulative rate, Wilson bounds, posterior.
SELECT * FROM mab_api.daily_series(%(experiment_id)s)
WHERE (%(from)s::date IS NULL OR date >= %(from)s::date)
  AND (%(to)s::date IS NULL OR date <= %(to)s::date);

-- name: data_span
-- First and last day with data of an experiment.
SELECT min(date) AS first_date, max(date) AS last_date FROM mab.daily_data
WHERE experiment_id = %(experiment_id)s;

-- name: insert_deployment
-- Records a split put live from %(effective_date)s; returns its id and creation time.
INSERT INTO mab.deployments (experiment_id, effective_date, note)
VALUES (%(experiment_id)s, %(effective_date)s, %(note)s)
RETURNING id, created_at;

-- name: insert_deployment_shares
-- The shares of one deployment, one row per variant.
INSERT INTO mab.deployment_shares (deployment_id, variant_id, share)
SELECT %(deployment_id)s, s.variant_id, s.share
FROM unnest(%(variant_ids)s::bigint[], %(shares)s::double precision[]) AS s (variant_id, share);

-- name: deployments
-- The deployment history of an experiment, oldest first, with each variant's percent.
SELECT dep.id, dep.effective_date, dep.note, dep.created_at,
       json_object_agg(v.name, ds.share * 100 ORDER BY v.position) AS allocations
FROM mab.deployments AS dep
JOIN mab.deployment_shares AS ds ON ds.deployment_id = dep.id
JOIN mab.variants AS v ON v.id = ds.variant_id
WHERE dep.experiment_id = %(experiment_id)s
GROUP BY dep.id
ORDER BY dep.effective_date, dep.id;

-- variant_summary(experiment, from, to): one row per variant over the inclusive date range
-- (NULL bounds are open): pooled totals, the Beta posterior from them, and the inputs of the
-- stratified estimator with the Beta posterior it implies.
--
-- Stratified estimator: each day is a stratum weighted by its share of all traffic (every
-- variant) in the range; a variant's rate is Σ_d w_d · c_vd / n_vd over the days it was shown,
-- with the weights renormalised over those days. Its sampling variance under a common rate p is
-- p(1 − p) · Σ_d w_d² / n_vd, so the estimate carries the information of
-- n_eff = 1 / Σ_d (w_d² / n_vd) Bernoulli trials (Kish's effective sample size). The posterior is
-- Beta(prior_alpha + rate · n_eff, prior_beta + (1 − rate) · n_eff): on [0, 1], never degenerate,
-- and identical to the pooled posterior when every day splits traffic in the same proportions.
CREATE FUNCTION mab_api.variant_summary(
    p_experiment_id bigint, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS TABLE (
    variant_id bigint,
    variant text,
    "position" integer,
    is_control boolean,
    impressions numeric,
    conversions numeric,
    days_with_data integer,
    first_date date,
    last_date date,
    posterior_alpha double precision,
    posterior_beta double precision,
    stratified_rate double precision,
    stratified_effective_n double precision,
    stratified_alpha double precision,
    stratified_beta double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH days AS (
        SELECT d.variant_id, d.date, d.impressions, d.conversions,
               sum(d.impressions) OVER (PARTITION BY d.date)::double precision AS day_traffic
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id
          AND (p_from IS NULL OR d.date >= p_from)
          AND (p_to IS NULL OR d.date <= p_to)
    ),
    per_variant AS (
        SELECT days.variant_id,
               sum(days.impressions) AS impressions,
               sum(days.conversions) AS conversions,
               count(*) FILTER (WHERE days.impressions > 0)::integer AS days_with_data,
               min(days.date) AS first_date,
               max(days.date) AS last_date,
               sum(days.day_traffic * days.conversions / days.impressions)
                   FILTER (WHERE days.impressions > 0)
                 / sum(days.day_traffic) FILTER (WHERE days.impressions > 0) AS stratified_rate,
               sum(days.day_traffic) FILTER (WHERE days.impressions > 0) ^ 2
                 / sum(days.day_traffic ^ 2 / days.impressions)
                   FILTER (WHERE days.impressions > 0) AS stratified_effective_n
        FROM days
        GROUP BY days.variant_id
    )
    SELECT v.id, v.name, v.position, v.is_control,
           coalesce(pv.impressions, 0), coalesce(pv.conversions, 0),
           coalesce(pv.days_with_data, 0), pv.first_date, pv.last_date,
           s.prior_alpha + coalesce(pv.conversions, 0),
           s.prior_beta + coalesce(pv.impressions - pv.conversions, 0),
           pv.stratified_rate,
           coalesce(pv.stratified_effective_n, 0),
           s.prior_alpha + coalesce(pv.stratified_rate * pv.stratified_effective_n, 0),
           s.prior_beta + coalesce((1 - pv.stratified_rate) * pv.stratified_effective_n, 0)
    FROM mab.variants AS v
    JOIN mab_api.experiment_settings AS s ON s.experiment_id = v.experiment_id
    LEFT JOIN per_variant AS pv ON pv.variant_id = v.id
    WHERE v.experiment_id = p_experiment_id
    ORDER BY v.position
$$;

COMMENT ON FUNCTION mab_api.variant_summary(bigint, date, date) IS
    'Per variant over a date range: pooled totals and Beta posterior, stratified rate, effective n and Beta posterior.';

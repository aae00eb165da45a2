-- variant_summary(experiment, from, to): one row per variant over the inclusive date range
-- (NULL bounds are open): pooled totals, the Beta posterior from them, and the inputs of the
-- stratified estimator with the Beta posterior it implies.
--
-- Stratified estimator: each day is a stratum. Every variant's rate is the weighted average of
-- its daily rates, Σ_d w_d · c_vd / n_vd / Σ_d w_d, with the SAME weights for every variant, so
-- all are measured on the same mix of days and a shift of traffic between days of different
-- base rates cannot reverse their order (Simpson's paradox). A day's weight is the traffic it
-- gives the comparison: w_d = K² / Σ_v (1 / n_vd) over the K variants with data in the range
-- (the Mantel–Haenszel weight for K arms). It equals the day's total traffic when the day splits
-- evenly, and shrinks when a variant got little that day — a day on which one variant had a
-- single impression cannot outweigh the others — and it is 0 on days some variant missed, so a
-- variant added later is compared on the days since it exists.
-- Under a common rate p the estimate's variance is p(1 − p) · Σ_d w_d² / n_vd / (Σ_d w_d)²: it
-- carries the information of n_eff = (Σ_d w_d)² / Σ_d (w_d² / n_vd) trials (Kish's effective
-- sample size), and its posterior is Beta(prior_alpha + rate · n_eff, prior_beta +
-- (1 − rate) · n_eff): on [0, 1], never degenerate, and exactly the pooled posterior when every
-- day splits traffic in the same proportions. Without a day common to all variants with data the
-- stratified columns are NULL.
-- The sums are exact (numeric) and rounded to double precision once, so the answer does not
-- depend on the order rows are read in: the same data give bit-identical posteriors.
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
        SELECT d.variant_id, d.date, d.impressions, d.conversions
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id
          AND (p_from IS NULL OR d.date >= p_from)
          AND (p_to IS NULL OR d.date <= p_to)
    ),
    compared AS (
        SELECT count(DISTINCT days.variant_id) FILTER (WHERE days.impressions > 0)::numeric AS k FROM days
    ),
    day_weights AS (
        SELECT days.date,
               CASE WHEN count(*) FILTER (WHERE days.impressions > 0) = compared.k
                    THEN compared.k * compared.k / sum(1.0 / days.impressions) FILTER (WHERE days.impressions > 0)
                    ELSE 0
               END AS weight
        FROM days CROSS JOIN compared
        GROUP BY days.date, compared.k
    ),
    per_variant AS (
        SELECT days.variant_id,
               sum(days.impressions) AS impressions,
               sum(days.conversions) AS conversions,
               count(*) FILTER (WHERE days.impressions > 0)::integer AS days_with_data,
               min(days.date) AS first_date,
               max(days.date) AS last_date,
               (sum(w.weight * days.conversions / days.impressions) FILTER (WHERE w.weight > 0 AND days.impressions > 0)
                  / nullif(sum(w.weight) FILTER (WHERE w.weight > 0 AND days.impressions > 0), 0))::double precision
                 AS stratified_rate,
               (sum(w.weight) FILTER (WHERE w.weight > 0 AND days.impressions > 0) ^ 2
                  / nullif(sum(w.weight ^ 2 / days.impressions) FILTER (WHERE w.weight > 0 AND days.impressions > 0), 0)
               )::double precision AS stratified_effective_n
        FROM days
        JOIN day_weights AS w ON w.date = days.date
        GROUP BY days.variant_id
    )
    SELECT v.id, v.name, v.position, v.is_control,
           coalesce(pv.impressions, 0), coalesce(pv.conversions, 0),
           coalesce(pv.days_with_data, 0), pv.first_date, pv.last_date,
           s.prior_alpha + coalesce(pv.conversions, 0),
           s.prior_beta + coalesce(pv.impressions - pv.conversions, 0),
           pv.stratified_rate,
           pv.stratified_effective_n,
           s.prior_alpha + pv.stratified_rate * pv.stratified_effective_n,
           s.prior_beta + (1 - pv.stratified_rate) * pv.stratified_effective_n
    FROM mab.variants AS v
    JOIN mab_api.experiment_settings AS s ON s.experiment_id = v.experiment_id
    LEFT JOIN per_variant AS pv ON pv.variant_id = v.id
    WHERE v.experiment_id = p_experiment_id
    ORDER BY v.position
$$;

COMMENT ON FUNCTION mab_api.variant_summary(bigint, date, date) IS
    'Per variant over a date range: pooled totals and Beta posterior, stratified rate, effective n and Beta posterior.';

-- daily_series(experiment): one row per variant and calendar day from the experiment's first to
-- its last day of data (days without a row count as zero), with running totals, the cumulative
-- rate and its Wilson interval at the experiment's confidence level, and the cumulative Beta
-- posterior parameters. This is what the dashboard plots.
CREATE FUNCTION mab_api.daily_series(p_experiment_id bigint)
RETURNS TABLE (
    experiment_id bigint,
    variant_id bigint,
    variant text,
    "position" integer,
    date date,
    impressions bigint,
    conversions bigint,
    cumulative_impressions numeric,
    cumulative_conversions numeric,
    cumulative_rate double precision,
    cumulative_lower double precision,
    cumulative_upper double precision,
    cumulative_alpha double precision,
    cumulative_beta double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH span AS (
        SELECT min(d.date) AS first_date, max(d.date) AS last_date
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id
    ),
    running AS (
        SELECT v.id AS variant_id, v.name AS variant, v.position, day::date AS date,
               coalesce(d.impressions, 0) AS impressions,
               coalesce(d.conversions, 0) AS conversions,
               sum(coalesce(d.impressions, 0)) OVER w AS cumulative_impressions,
               sum(coalesce(d.conversions, 0)) OVER w AS cumulative_conversions
        FROM span
        CROSS JOIN LATERAL generate_series(span.first_date, span.last_date, interval '1 day') AS day
        JOIN mab.variants AS v ON v.experiment_id = p_experiment_id
        LEFT JOIN mab.daily_data AS d
               ON d.experiment_id = p_experiment_id AND d.variant_id = v.id AND d.date = day::date
        WHERE span.first_date IS NOT NULL
        WINDOW w AS (PARTITION BY v.id ORDER BY day)
    )
    SELECT p_experiment_id, r.variant_id, r.variant, r.position, r.date,
           r.impressions, r.conversions, r.cumulative_impressions, r.cumulative_conversions,
           r.cumulative_conversions::double precision / nullif(r.cumulative_impressions, 0),
           (mab_api.wilson_interval(r.cumulative_conversions, r.cumulative_impressions,
                                    s.confidence_level)).lower,
           (mab_api.wilson_interval(r.cumulative_conversions, r.cumulative_impressions,
                                    s.confidence_level)).upper,
           s.prior_alpha + r.cumulative_conversions,
           s.prior_beta + (r.cumulative_impressions - r.cumulative_conversions)
    FROM running AS r
    JOIN mab_api.experiment_settings AS s ON s.experiment_id = p_experiment_id
    ORDER BY r.date, r.position
$$;

COMMENT ON FUNCTION mab_api.daily_series(bigint) IS
    'Per variant and day: counts, running totals, cumulative rate with Wilson interval, cumulative Beta posterior.';

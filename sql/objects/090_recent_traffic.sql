-- recent_traffic(experiment, to, days): average impressions per day, per variant, over the last
-- `days` dates with data on or before `to` (NULL: the latest data). Used as the size of the next
-- batch for UCB and to turn a required sample size into days remaining.
CREATE FUNCTION mab_api.recent_traffic(
    p_experiment_id bigint, p_to date DEFAULT NULL, p_days integer DEFAULT 7)
RETURNS TABLE (
    variant_id bigint,
    variant text,
    "position" integer,
    days integer,
    average_daily_impressions double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH recent_dates AS (
        SELECT DISTINCT d.date
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id AND (p_to IS NULL OR d.date <= p_to)
        ORDER BY d.date DESC
        LIMIT p_days
    ),
    n AS (SELECT count(*)::integer AS days FROM recent_dates)
    SELECT v.id, v.name, v.position, n.days,
           CASE WHEN n.days = 0 THEN NULL
                ELSE coalesce((SELECT sum(d.impressions) FROM mab.daily_data AS d
                               JOIN recent_dates AS r ON r.date = d.date
                               WHERE d.variant_id = v.id), 0)::double precision / n.days
           END
    FROM mab.variants AS v CROSS JOIN n
    WHERE v.experiment_id = p_experiment_id
    ORDER BY v.position
$$;

COMMENT ON FUNCTION mab_api.recent_traffic(bigint, date, integer) IS
    'Per variant: average daily impressions over the last N dates with data on or before a date.';

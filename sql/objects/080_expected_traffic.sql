-- expected_traffic(experiment, from, to): per variant, the impressions observed over the
-- inclusive date range and the impressions expected from the deployment history. Each day's
-- traffic (all variants) is split by the deployment in force that day — the latest one whose
-- effective date is on or before it — or equally before the first deployment. A variant absent
-- from a deployment was meant to get none of that day's traffic.
CREATE FUNCTION mab_api.expected_traffic(
    p_experiment_id bigint, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS TABLE (
    variant_id bigint,
    variant text,
    "position" integer,
    observed numeric,
    expected double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH days AS (
        SELECT d.date, sum(d.impressions)::double precision AS traffic
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id
          AND (p_from IS NULL OR d.date >= p_from)
          AND (p_to IS NULL OR d.date <= p_to)
        GROUP BY d.date
    ),
    days_with_deployment AS (
        SELECT days.date, days.traffic,
               (SELECT dep.id FROM mab.deployments AS dep
                WHERE dep.experiment_id = p_experiment_id AND dep.effective_date <= days.date
                ORDER BY dep.effective_date DESC, dep.id DESC
                LIMIT 1) AS deployment_id
        FROM days
    ),
    variant_count AS (
        SELECT count(*)::double precision AS k FROM mab.variants WHERE experiment_id = p_experiment_id
    ),
    observed AS (
        SELECT d.variant_id, sum(d.impressions) AS impressions
        FROM mab.daily_data AS d
        WHERE d.experiment_id = p_experiment_id
          AND (p_from IS NULL OR d.date >= p_from)
          AND (p_to IS NULL OR d.date <= p_to)
        GROUP BY d.variant_id
    )
    SELECT v.id, v.name, v.position,
           coalesce(o.impressions, 0),
           coalesce((SELECT sum(CASE WHEN dd.deployment_id IS NULL THEN dd.traffic / vc.k
                                     ELSE dd.traffic * coalesce(ds.share, 0) END)
                     FROM days_with_deployment AS dd
                     LEFT JOIN mab.deployment_shares AS ds
                            ON ds.deployment_id = dd.deployment_id AND ds.variant_id = v.id), 0)
    FROM mab.variants AS v
    CROSS JOIN variant_count AS vc
    LEFT JOIN observed AS o ON o.variant_id = v.id
    WHERE v.experiment_id = p_experiment_id
    ORDER BY v.position
$$;

COMMENT ON FUNCTION mab_api.expected_traffic(bigint, date, date) IS
    'Per variant over a date range: observed impressions and impressions expected from the deployment history.';

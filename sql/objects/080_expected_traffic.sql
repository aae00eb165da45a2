-- expected_traffic(experiment, from, to): per variant, the impressions observed over the
-- inclusive date range and the impressions expected from the deployment history. Each day's
-- traffic (all variants) is split by the deployment in force that day — the latest one whose
-- effective date is on or before it, the last recorded winning a tie — or, before the first
-- deployment, equally among the variants that existed that day (those created with the
-- experiment, those added on or before that day, in UTC, and any with data that day, which was
-- evidently live: data backfilled for a variant added later). A variant absent from a
-- deployment was meant to get none of that day's traffic. Sums are exact (numeric), so the
-- answer does not depend on the order rows are read in.
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
        SELECT d.date, sum(d.impressions) AS traffic
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
    equal_split AS (
        SELECT dd.date, v.id AS variant_id,
               dd.traffic / count(*) OVER (PARTITION BY dd.date) AS expected
        FROM days_with_deployment AS dd
        JOIN mab.experiments AS e ON e.id = p_experiment_id
        JOIN mab.variants AS v ON v.experiment_id = p_experiment_id
        WHERE dd.deployment_id IS NULL
          AND (v.created_at = e.created_at OR (v.created_at AT TIME ZONE 'UTC')::date <= dd.date
               OR EXISTS (SELECT 1 FROM mab.daily_data AS d
                          WHERE d.experiment_id = p_experiment_id AND d.variant_id = v.id
                            AND d.date = dd.date AND d.impressions > 0))
    ),
    deployed AS (
        SELECT ds.variant_id, dd.traffic * ds.share::numeric AS expected
        FROM days_with_deployment AS dd
        JOIN mab.deployment_shares AS ds ON ds.deployment_id = dd.deployment_id
    ),
    expected AS (
        SELECT variant_id, sum(expected) AS expected
        FROM (SELECT variant_id, expected FROM equal_split
              UNION ALL SELECT variant_id, expected FROM deployed) AS parts
        GROUP BY variant_id
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
           coalesce(x.expected, 0)::double precision
    FROM mab.variants AS v
    LEFT JOIN observed AS o ON o.variant_id = v.id
    LEFT JOIN expected AS x ON x.variant_id = v.id
    WHERE v.experiment_id = p_experiment_id
    ORDER BY v.position
$$;

COMMENT ON FUNCTION mab_api.expected_traffic(bigint, date, date) IS
    'Per variant over a date range: observed impressions and impressions expected from the deployment history.';

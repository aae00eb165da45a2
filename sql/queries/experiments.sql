-- name: experiment_page
-- One page of experiments (or the one with %(id)s), each with its control, its totals, its
-- variants with their totals, and the number of experiments matching the filter.
WITH page AS (
    SELECT e.*, count(*) OVER () AS total_count
    FROM mab.experiments AS e
    WHERE (%(id)s::bigint IS NULL OR e.id = %(id)s::bigint)
      AND (%(status)s::text IS NULL OR e.status = %(status)s::text)
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.id, page.name, page.description, page.algorithm, page.confidence_level,
       page.settings, page.status, page.created_at, page.updated_at, page.total_count,
       variants.control, totals.impressions, totals.conversions, totals.days_with_data,
       totals.first_date, totals.last_date, variants.variants
FROM page
CROSS JOIN LATERAL (
    SELECT coalesce(sum(d.impressions), 0) AS impressions,
           coalesce(sum(d.conversions), 0) AS conversions,
           count(DISTINCT d.date)::integer AS days_with_data,
           min(d.date) AS first_date,
           max(d.date) AS last_date
    FROM mab.daily_data AS d
    WHERE d.experiment_id = page.id
) AS totals
CROSS JOIN LATERAL (
    SELECT max(v.name) FILTER (WHERE v.is_control) AS control,
           json_agg(json_build_object(
               'name', v.name,
               'is_control', v.is_control,
               'impressions', coalesce(vt.impressions, 0),
               'conversions', coalesce(vt.conversions, 0),
               'conversion_rate', vt.conversions::double precision / nullif(vt.impressions, 0),
               'days_with_data', coalesce(vt.days_with_data, 0),
               'first_date', vt.first_date,
               'last_date', vt.last_date) ORDER BY v.position) AS variants
    FROM mab.variants AS v
    LEFT JOIN LATERAL (
        SELECT sum(d.impressions) AS impressions, sum(d.conversions) AS conversions,
               count(*)::integer AS days_with_data, min(d.date) AS first_date, max(d.date) AS last_date
        FROM mab.daily_data AS d
        WHERE d.experiment_id = page.id AND d.variant_id = v.id
    ) AS vt ON true
    WHERE v.experiment_id = page.id
) AS variants
ORDER BY page.created_at DESC, page.id DESC;

-- name: experiment_count
-- Number of experiments matching the status filter (for an empty page past the end).
SELECT count(*) AS total FROM mab.experiments
WHERE (%(status)s::text IS NULL OR status = %(status)s::text);

-- name: insert_experiment
-- Creates an experiment; returns its id.
INSERT INTO mab.experiments (name, description, algorithm, confidence_level, settings)
VALUES (%(name)s, %(description)s, %(algorithm)s, %(confidence_level)s, %(settings)s)
RETURNING id;

-- name: insert_variants
-- Appends variants to an experiment after its existing ones, in the order given; the one named
-- %(control)s (NULL: none) becomes the control.
INSERT INTO mab.variants (experiment_id, name, position, is_control)
SELECT %(experiment_id)s, new.name,
       coalesce((SELECT max(position) + 1 FROM mab.variants WHERE experiment_id = %(experiment_id)s), 0)
           + new.ordinality - 1,
       coalesce(new.name = %(control)s, false)
FROM unnest(%(names)s::text[]) WITH ORDINALITY AS new (name, ordinality);

-- name: lock_experiment
-- The experiment row, locked until the end of the transaction (for updates and writes).
SELECT id, name, description, status, settings, algorithm, confidence_level
FROM mab.experiments WHERE id = %(id)s FOR UPDATE;

-- name: experiment_core
-- The experiment row and its control's name, without totals.
SELECT e.id, e.name, e.status, e.settings, e.algorithm, e.confidence_level,
       (SELECT v.name FROM mab.variants AS v WHERE v.experiment_id = e.id AND v.is_control) AS control
FROM mab.experiments AS e WHERE e.id = %(id)s;

-- name: experiment_id_by_name
-- The id of the experiment called %(name)s, if any.
SELECT id FROM mab.experiments WHERE name = %(name)s;

-- name: variant_names
-- The experiment's variants, id and name, in order.
SELECT id, name FROM mab.variants WHERE experiment_id = %(experiment_id)s ORDER BY position;

-- name: update_experiment
-- Stores the changeable fields of an experiment and bumps updated_at.
UPDATE mab.experiments
SET description = %(description)s, algorithm = %(algorithm)s, status = %(status)s,
    confidence_level = %(confidence_level)s, settings = %(settings)s, updated_at = now()
WHERE id = %(id)s;

-- name: share_lock_experiment
-- The experiment's status, locked against changes (not against other writers of data) until
-- the end of the transaction, so that archiving waits for writes in flight and then stops them.
SELECT status FROM mab.experiments WHERE id = %(id)s FOR SHARE;

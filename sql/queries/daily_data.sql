-- name: upsert_daily_rows
-- Stores a batch of rows; a (variant, date) already stored is replaced, or with %(add)s true
-- gets the new counts added to it. One row out per row in, with inserted = true for a new row.
INSERT INTO mab.daily_data AS d (experiment_id, variant_id, date, impressions, conversions)
SELECT %(experiment_id)s, r.variant_id, r.date, r.impressions, r.conversions
FROM unnest(%(variant_ids)s::bigint[], %(dates)s::date[], %(impressions)s::bigint[],
            %(conversions)s::bigint[]) AS r (variant_id, date, impressions, conversions)
ORDER BY r.variant_id, r.date
ON CONFLICT (experiment_id, variant_id, date) DO UPDATE
SET impressions = CASE WHEN %(add)s THEN d.impressions ELSE 0 END + EXCLUDED.impressions,
    conversions = CASE WHEN %(add)s THEN d.conversions ELSE 0 END + EXCLUDED.conversions,
    updated_at = now()
RETURNING (xmax = 0) AS inserted;

-- name: lock_daily_rows
-- The stored rows among a batch's (variant, date) pairs, locked for the rest of the transaction.
SELECT d.variant_id, d.date, d.impressions, d.conversions
FROM mab.daily_data AS d
JOIN unnest(%(variant_ids)s::bigint[], %(dates)s::date[]) AS r (variant_id, date)
  ON d.variant_id = r.variant_id AND d.date = r.date
WHERE d.experiment_id = %(experiment_id)s
ORDER BY d.variant_id, d.date
FOR UPDATE OF d;

-- name: daily_rows
-- Stored rows of an experiment in an inclusive date range, optionally one variant, by date.
SELECT d.date, v.name AS variant, d.impressions, d.conversions, d.created_at, d.updated_at
FROM mab.daily_data AS d
JOIN mab.variants AS v ON v.id = d.variant_id
WHERE d.experiment_id = %(experiment_id)s
  AND (%(from)s::date IS NULL OR d.date >= %(from)s::date)
  AND (%(to)s::date IS NULL OR d.date <= %(to)s::date)
  AND (%(variant)s::text IS NULL OR v.name = %(variant)s::text)
ORDER BY d.date, v.position;

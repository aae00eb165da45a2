-- variant_totals: per variant, all data summed; variants without data get zeros and NULL dates.
-- Sums are numeric: many days of counts near the bigint limit add up past it.
CREATE VIEW mab_api.variant_totals AS
SELECT v.experiment_id,
       v.id AS variant_id,
       v.name AS variant,
       v.position,
       v.is_control,
       coalesce(sum(d.impressions), 0) AS impressions,
       coalesce(sum(d.conversions), 0) AS conversions,
       count(d.date)::integer AS days_with_data,
       min(d.date) AS first_date,
       max(d.date) AS last_date
FROM mab.variants AS v
LEFT JOIN mab.daily_data AS d ON d.variant_id = v.id
GROUP BY v.experiment_id, v.id, v.name, v.position, v.is_control;

COMMENT ON VIEW mab_api.variant_totals IS
    'Per variant: total impressions and conversions, days with data, first and last date.';

-- experiment_totals: per experiment, all variants' data summed.
CREATE VIEW mab_api.experiment_totals AS
SELECT e.id AS experiment_id,
       coalesce(sum(d.impressions), 0) AS impressions,
       coalesce(sum(d.conversions), 0) AS conversions,
       count(DISTINCT d.date)::integer AS days_with_data,
       max(d.date) AS last_date
FROM mab.experiments AS e
LEFT JOIN mab.daily_data AS d ON d.experiment_id = e.id
GROUP BY e.id;

COMMENT ON VIEW mab_api.experiment_totals IS
    'Per experiment: total impressions and conversions, distinct days with data, last date.';

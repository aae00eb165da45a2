-- experiment_settings: one row per experiment with its settings as typed columns, so that every
-- view and function reads the prior and thresholds the same way.
CREATE VIEW mab_api.experiment_settings AS
SELECT e.id AS experiment_id,
       e.confidence_level,
       (e.settings ->> 'prior_alpha')::double precision AS prior_alpha,
       (e.settings ->> 'prior_beta')::double precision AS prior_beta
FROM mab.experiments AS e;

COMMENT ON VIEW mab_api.experiment_settings IS
    'Per experiment: confidence level and Beta prior parameters as typed columns.';

-- wilson_interval(conversions, impressions, confidence): the Wilson score interval of a
-- binomial proportion at a two-sided confidence level. Floating-point division, bounds clipped
-- to [0, 1], NULL when there are no impressions (no rate, so no interval).
CREATE TYPE mab_api.bounds AS (lower double precision, upper double precision);

CREATE FUNCTION mab_api.wilson_interval(
    conversions numeric, impressions numeric, confidence double precision)
RETURNS mab_api.bounds
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n      double precision := impressions;
    rate   double precision;
    z      double precision;
    shrink double precision;
    centre double precision;
    half   double precision;
BEGIN
    IF impressions IS NULL OR conversions IS NULL OR confidence IS NULL OR impressions <= 0 THEN
        RETURN NULL;
    END IF;
    rate := conversions / n;
    z := mab_api.normal_quantile(1 - (1 - confidence) / 2);
    shrink := 1 + z * z / n;
    centre := (rate + z * z / (2 * n)) / shrink;
    half := z * sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / shrink;
    -- At 0 or at n conversions one bound is exactly 0 or 1; rounding would leave ±1e-17.
    RETURN (CASE WHEN conversions = 0 THEN 0.0 ELSE greatest(0.0, centre - half) END,
            CASE WHEN conversions = impressions THEN 1.0 ELSE least(1.0, centre + half) END
           )::mab_api.bounds;
END;
$$;

COMMENT ON FUNCTION mab_api.wilson_interval(numeric, numeric, double precision) IS
    'Wilson score interval (lower, upper) of conversions/impressions; NULL without impressions.';

-- normal_quantile(p): the standard normal deviate z with Φ(z) = p, for 0 < p < 1.
-- Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3), 1988): rational approximations
-- accurate to about 1e-16, so SQL and SciPy agree on every z the service uses.
-- PostgreSQL 15 has no inverse normal (nor erf), hence this function.
CREATE FUNCTION mab_api.normal_quantile(p double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    q double precision := p - 0.5;
    r double precision;
    z double precision;
BEGIN
    IF p <= 0 OR p >= 1 THEN
        RAISE EXCEPTION 'normal_quantile: p must be strictly between 0 and 1, got %', p
            USING ERRCODE = '22003';
    END IF;
    IF abs(q) <= 0.425 THEN
        r := 0.180625 - q * q;
        RETURN q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                      + 67265.770927008700853) * r + 45921.953931549871457) * r
                      + 13731.693765509461125) * r + 1971.5909503065514427) * r
                      + 133.14166789178437745) * r + 3.3871328727963666080)
                 / (((((((5226.4952788528545610 * r + 28729.085735721942674) * r
                      + 39307.895800092710610) * r + 21213.794301586595867) * r
                      + 5394.1960214247511077) * r + 687.18700749205790830) * r
                      + 42.313330701600911252) * r + 1.0);
    END IF;
    r := sqrt(-ln(CASE WHEN q < 0 THEN p ELSE 1 - p END));
    IF r <= 5.0 THEN
        r := r - 1.6;
        z := (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                 + 2.41780725177450611770e-1) * r + 1.27045825245236838258) * r
                 + 3.64784832476320460504) * r + 5.76949722146069140550) * r
                 + 4.63033784615654529590) * r + 1.42343711074968357734)
            / (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                 + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                 + 6.89767334985100004550e-1) * r + 1.67638483018380384940) * r
                 + 2.05319162663775882187) * r + 1.0);
    ELSE
        r := r - 5.0;
        z := (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                 + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                 + 2.96560571828504891230e-1) * r + 1.78482653991729133580) * r
                 + 5.46378491116411436990) * r + 6.65790464350110377720)
            / (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                 + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                 + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                 + 5.99832206555887937690e-1) * r + 1.0);
    END IF;
    RETURN CASE WHEN q < 0 THEN -z ELSE z END;
END;
$$;

COMMENT ON FUNCTION mab_api.normal_quantile(double precision) IS
    'Inverse standard normal CDF (Wichura AS 241), accurate to about 1e-16.';

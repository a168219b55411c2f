package dev.gort.bench.gc;

import java.util.Locale;

/**
 * Whether a sample of pauses can say anything about its 99th percentile, and what.
 *
 * <p>The harness reports the nearest-rank p99: the value of rank {@code ceil(0.99 n)} in ascending
 * order. Below 100 pauses that rank is {@code n} itself, so "p99" is the maximum, one pause, and
 * says nothing a max would not. From 100 pauses on it is the k-th largest with
 * {@code k = n - ceil(0.99 n) + 1} (2 at n = 100..199, 3 at 200..299). The p99 is under a threshold
 * exactly when at most {@code k - 1} pauses are over it, so the count over 500 us is the figure
 * that decides the target, and it is printed with the {@code k - 1} allowed.
 *
 * <p>One run is also one sample of the process: the share of pauses over the threshold is a
 * binomial proportion, and its one-sided 95 % upper bound (Clopper-Pearson: the largest share for
 * which seeing at most the observed count still has 5 % probability) says how high the true share
 * can be. "p99 under 500 us" holds with 95 % confidence only when that bound is under 1 %, which
 * needs at least 299 pauses even with none over (the bound is then {@code 1 - 0.05^(1/n)}).
 */
record PauseTail(int pauses, int over, long thresholdNanos) {
    /** Below this many pauses the nearest-rank p99 is the maximum. */
    static final int P99_BELOW_MAX = 100;
    /** Confidence of {@link #upperShare}. */
    static final double CONFIDENCE = 0.95;

    PauseTail {
        if (pauses < 0 || over < 0 || over > pauses) {
            throw new IllegalArgumentException("pauses " + pauses + ", over " + over + ": need 0 <= over <= pauses");
        }
    }

    /** The 1-based descending rank of the nearest-rank p99 (1: the maximum); 0 for no pauses. */
    int p99RankFromTop() {
        return pauses == 0 ? 0 : pauses - (int) Math.ceil(pauses * 0.99) + 1;
    }

    /** Pauses over the threshold the sample can have with its p99 still at or under it. */
    int overAllowed() {
        return Math.max(0, p99RankFromTop() - 1);
    }

    boolean p99BelowMax() {
        return pauses >= P99_BELOW_MAX;
    }

    /**
     * One-sided {@link #CONFIDENCE} upper bound on the share of pauses over the threshold
     * (Clopper-Pearson, by bisection on the binomial distribution function); 1 when over == pauses.
     */
    double upperShare() {
        if (over >= pauses) {
            return 1;
        }
        double lo = (double) over / pauses, hi = 1;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (binomialCdf(over, pauses, mid) > 1 - CONFIDENCE) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    /** P(X <= k) for X ~ Binomial(n, p), summed in log space (n up to millions without overflow). */
    static double binomialCdf(int k, int n, double p) {
        if (p <= 0) {
            return 1;
        }
        if (p >= 1) {
            return k >= n ? 1 : 0;
        }
        double lp = Math.log(p), lq = Math.log1p(-p);
        double logTerm = n * lq;                 // i = 0
        double sum = Math.exp(logTerm);
        for (int i = 1; i <= k; i++) {
            logTerm += Math.log((double) (n - i + 1) / i) + lp - lq;
            sum += Math.exp(logTerm);
        }
        return Math.min(1, sum);
    }

    /**
     * Pauses needed, at the sample's count over the threshold scaled to its share, for the upper
     * bound to fall under 1 %; {@code -1} when the observed share is 1 % or more (no sample of that
     * process gets there), and for no pauses.
     */
    int pausesForConfidentP99() {
        if (pauses == 0 || (double) over / pauses >= 0.01) {
            return -1;
        }
        double share = (double) over / pauses;
        for (int n = Math.max(P99_BELOW_MAX, pauses); n < 10_000_000; n = (int) Math.ceil(n * 1.05)) {
            int c = (int) Math.round(share * n);
            if (new PauseTail(n, c, thresholdNanos).upperShare() < 0.01) {
                return n;
            }
        }
        return -1;
    }

    /** The report's lines: counts, where p99 sits, whether the sample is big enough, the bound. */
    String describe(double pausesPerSecond) {
        long us = thresholdNanos / 1000;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "over %d us: %d of %d (%.1f %%); ", us, over, pauses, pauses == 0 ? 0 : 100.0 * over / pauses));
        if (pauses == 0) {
            return b.append("no pauses: no p99").toString();
        }
        if (p99BelowMax()) {
            b.append(String.format(Locale.ROOT, "p99 is the %s largest pause, under %d us iff at most %d are over (%s)",
                    ordinal(p99RankFromTop()), us, overAllowed(), over <= overAllowed() ? "met" : "NOT met"));
        } else {
            int more = P99_BELOW_MAX - pauses;
            b.append(String.format(Locale.ROOT, "sample too small: p99 = max below %d pauses (%d more%s)", P99_BELOW_MAX, more,
                    pausesPerSecond > 0 ? String.format(Locale.ROOT, ", ~%.0f s more at %.2f pauses/s", more / pausesPerSecond, pausesPerSecond) : ""));
        }
        b.append(String.format(Locale.ROOT, "%n%.0f %% upper bound on the share over %d us: %.2f %%", CONFIDENCE * 100, us, upperShare() * 100));
        if (upperShare() < 0.01) {
            b.append(" (under 1 %: p99 < ").append(us).append(" us at that confidence)");
        } else {
            int need = pausesForConfidentP99();
            if (need < 0) {
                b.append(" (observed share >= 1 %: at that share no run is long enough to bound it under 1 %)");
            } else {
                b.append(String.format(Locale.ROOT, " (at this share, ~%d pauses would bound it under 1 %%%s)", need,
                        pausesPerSecond > 0 ? String.format(Locale.ROOT, ", ~%.0f s", need / pausesPerSecond) : ""));
            }
        }
        return b.toString();
    }

    static String ordinal(int k) {
        int tens = k % 100, ones = k % 10;
        String suffix = tens >= 11 && tens <= 13 ? "th" : ones == 1 ? "st" : ones == 2 ? "nd" : ones == 3 ? "rd" : "th";
        return k + suffix;
    }
}

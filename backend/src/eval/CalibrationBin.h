#pragma once
/// \file CalibrationBin.h
/// The one rule for which reliability bin a confidence falls in: Metrics' ECE and reliability
/// curve, and the bootstrap's resampled ECE.

namespace headbench {

/// The bin of a top-class confidence among `bins` equal bins (lo, hi]: 0 and below fall in the
/// first, 1 and above in the last, and a NaN in the first (a diverged head's validation
/// probabilities reach here; converting NaN to an integer is undefined behaviour).
int calibrationBin(double confidence, int bins);

} // namespace headbench

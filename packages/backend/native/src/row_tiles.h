// Splits a GEMM's activation rows into tiles of at most `most` rows, as even as their count allows:
// 32 rows in tiles of 6 are 6 6 5 5 5 5, not 6 6 6 6 6 2. A tile's rate falls with its rows (the
// AVX2 two-row tile keeps four FMA chains busy and runs at half the six-row tile's rate), and a
// remainder tile costs a pass over its weights like a full one. Each row's sums are the same in any
// tile, so the split changes speed only.
#pragma once

#include <algorithm>

namespace anneal {

class RowTiles {
 public:
  RowTiles(int rows, int most)
      : count_(rows > 0 ? (rows + most - 1) / most : 0),
        base_(count_ > 0 ? rows / count_ : 0),
        longer_(count_ > 0 ? rows % count_ : 0) {}
  int count() const { return count_; }
  // The first `longer_` tiles have one row more than the rest.
  int first_row(int tile) const { return tile * base_ + std::min(tile, longer_); }
  int rows(int tile) const { return base_ + (tile < longer_ ? 1 : 0); }

 private:
  int count_, base_, longer_;
};

}  // namespace anneal

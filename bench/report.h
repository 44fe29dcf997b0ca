// The benchmark's figures: samples reduced to median and p90, each next to its floor, with the
// target it is held against; printed as a plain text table and optionally written as JSON.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct Summary {
  double median = 0;
  double p90 = 0;
  std::size_t n = 0;
};

// Median and nearest-rank 90th percentile. For figures where more is better (rates), "p90" is
// the value 90% of the runs reached, i.e. the 10th percentile.
Summary summarize(std::vector<double> samples, bool higher_is_better = false);

struct Row {
  std::string section;
  std::string figure;
  std::string unit;  // ms, tasks/s, MiB, ...
  std::optional<Summary> value;
  std::optional<Summary> floor;
  std::string floor_what;     // what the floor is, for the notes
  std::string target;         // in words, e.g. "< 5 ms"
  std::optional<bool> holds;  // nullopt: no target, or nothing measured
  std::string note;           // "n/a (shim not built)", an error, a remark
};

class Report {
 public:
  void add(Row row);
  const std::vector<Row>& rows() const { return rows_; }
  Row* find(const std::string& figure);

  // Plain text: figure | median | p90 | floor | ratio | target | holds?
  std::string table() const;
  nlohmann::json to_json() const;

 private:
  std::vector<Row> rows_;
};

std::string format_number(double v);

}  // namespace bench

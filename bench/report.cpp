#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bench {

Summary summarize(std::vector<double> samples, bool higher_is_better) {
  Summary s;
  s.n = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  s.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
  // Nearest rank: the smallest value with at least 90% of the samples at or below it.
  const std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  const std::size_t hi = std::clamp<std::size_t>(rank, 1, n) - 1;
  s.p90 = higher_is_better ? samples[n - 1 - hi] : samples[hi];
  return s;
}

std::string format_number(double v) {
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 1000)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 100)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 10)
    std::snprintf(buf, sizeof buf, "%.2f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

void Report::add(Row row) { rows_.push_back(std::move(row)); }

Row* Report::find(const std::string& figure) {
  for (auto& r : rows_)
    if (r.figure == figure) return &r;
  return nullptr;
}

namespace {

std::string with_unit(double v, const std::string& unit) {
  return format_number(v) + (unit.empty() ? "" : " " + unit);
}

std::vector<std::string> cells(const Row& r) {
  std::string median = "-", p90 = "-", floor = "-", ratio = "-";
  if (r.value && r.value->n > 0) {
    median = with_unit(r.value->median, r.unit);
    p90 = r.value->n > 1 ? with_unit(r.value->p90, r.unit) : "-";
  }
  if (r.floor && r.floor->n > 0) {
    floor = with_unit(r.floor->median, r.unit);
    if (r.value && r.value->n > 0 && r.floor->median > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2fx", r.value->median / r.floor->median);
      ratio = buf;
    }
  }
  std::string holds = r.holds ? (*r.holds ? "yes" : "NO") : "-";
  if (!r.note.empty() && (!r.value || r.value->n == 0)) {
    median = r.note;
  }
  return {r.figure, median, p90, floor, ratio, r.target.empty() ? "-" : r.target, holds};
}

}  // namespace

std::string Report::table() const {
  const std::vector<std::string> head = {"figure", "median", "p90",   "floor",
                                         "ratio",  "target", "holds?"};
  // Rows grouped by section, sections in the order they first appear.
  std::vector<std::string> order;
  for (const auto& r : rows_)
    if (std::find(order.begin(), order.end(), r.section) == order.end()) order.push_back(r.section);
  std::vector<const Row*> rows;
  for (const auto& s : order)
    for (const auto& r : rows_)
      if (r.section == s) rows.push_back(&r);
  // A note shows in the median column when nothing was measured, else as a numbered footnote.
  std::vector<std::string> notes;
  std::vector<std::vector<std::string>> body;
  for (const Row* r : rows) {
    body.push_back(cells(*r));
    if (!r->note.empty() && r->value && r->value->n > 0) {
      notes.push_back(r->note);
      body.back()[0] += " [" + std::to_string(notes.size()) + "]";
    }
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& row : body) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      // The "n/a (...)" note lives in the median column and may be wide: let it overflow
      // rather than widen every row.
      if (i == 1 && row[i].size() > 14) continue;
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string out;
    for (std::size_t i = 0; i < c.size(); ++i) {
      std::string cell = c[i];
      const bool right = i >= 1 && i <= 4;
      if (cell.size() < width[i]) {
        const std::string pad(width[i] - cell.size(), ' ');
        cell = right ? pad + cell : cell + pad;
      }
      out += (i == 0 ? "" : " | ") + cell;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(head);
  std::string rule;
  for (std::size_t i = 0; i < head.size(); ++i)
    rule += (i == 0 ? "" : "-|-") + std::string(width[i], '-');
  out += rule + "\n";
  std::string section;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (rows[k]->section != section) {
      section = rows[k]->section;
      out += "[" + section + "]\n";
    }
    out += line(body[k]);
  }
  for (std::size_t k = 0; k < notes.size(); ++k)
    out += "[" + std::to_string(k + 1) + "] " + notes[k] + "\n";
  return out;
}

nlohmann::json Report::to_json() const {
  auto summary = [](const std::optional<Summary>& s) -> nlohmann::json {
    if (!s || s->n == 0) return nullptr;
    return {{"median", s->median}, {"p90", s->p90}, {"n", s->n}};
  };
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rows_) {
    nlohmann::json j = {{"section", r.section},
                        {"figure", r.figure},
                        {"unit", r.unit},
                        {"value", summary(r.value)},
                        {"floor", summary(r.floor)},
                        {"floor_what", r.floor_what},
                        {"target", r.target},
                        {"holds", r.holds ? nlohmann::json(*r.holds) : nlohmann::json(nullptr)},
                        {"note", r.note}};
    if (r.value && r.floor && r.value->n > 0 && r.floor->n > 0 && r.floor->median > 0)
      j["ratio"] = r.value->median / r.floor->median;
    rows.push_back(std::move(j));
  }
  return rows;
}

}  // namespace bench

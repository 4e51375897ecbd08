#include "shapes.h"
#include "fw_api.h"

static int shapes_scale = 3; /* .data */

const char *Shape::name() const { return "shape"; }
int Shape::scaled_area() const { return area() * shapes_scale; }

Rect::Rect(int w, int h) : w_(w), h_(h) {}
int Rect::area() const { return w_ * h_; }
const char *Rect::name() const { return "rect"; }

Square::Square(int s) : Rect(s, s) {}
const char *Square::name() const { return "square"; }

namespace {
/* Dynamic initialisation: runs from the library's constructor table after load. */
class Registry {
  public:
    Registry() : n_(0), a_(2, 3), b_(4) {
        items_[n_++] = &a_;
        items_[n_++] = &b_;
        fw_log("Shapes: static constructor ran");
    }
    int size() const { return n_; }
    const Shape *at(int i) const { return items_[i]; }

  private:
    int n_;
    Rect a_;
    Square b_;
    const Shape *items_[4];
};
Registry registry;

/* Its destructor is registered through __cxa_atexit while the constructors run; the
 * Memory Manager runs it when the library is unloaded. */
struct Farewell {
    ~Farewell() { fw_log("Shapes: destructor ran"); }
};
Farewell farewell;
} // namespace

extern "C" int shapes_registry_size(void) { return registry.size(); }
extern "C" int shapes_total_area(void) {
    int sum = 0;
    for (int i = 0; i < registry.size(); i++) sum += registry.at(i)->area();
    return sum;
}

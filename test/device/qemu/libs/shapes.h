/* Dynamic library "Shapes" (C++, own slot): classes with virtual methods whose code and
 * vtables live in the library, a global with a static constructor, and a global whose
 * destructor must run when the library is unloaded. */
#ifndef SHAPES_H
#define SHAPES_H

class Shape {
  public:
    virtual int area() const = 0;
    virtual const char *name() const;
    int scaled_area() const; /* area() * shapes_scale, non-virtual, in the library */
  protected:
    ~Shape() {}
};

class Rect : public Shape {
  public:
    Rect(int w, int h); /* defined in the library: constructing one calls into it */
    int area() const override;
    const char *name() const override;

  private:
    int w_, h_;
};

class Square : public Rect {
  public:
    explicit Square(int s);
    const char *name() const override;
};

extern "C" {
/* Set by the library's static constructor (0 until it ran). */
int shapes_registry_size(void);
/* Sum of area() over the registry's statically constructed shapes (virtual calls). */
int shapes_total_area(void);
}
#endif

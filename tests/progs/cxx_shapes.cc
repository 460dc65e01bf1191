// SPDX-License-Identifier: MIT
// A small C++ program with namespaced classes, overloads and threads: C++
// names in PFE_TRACE lines and patterns (t_demangle.sh) and in `pfe record`
// recordings (t_pfe_record.sh). Its output does not depend on timing.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINL __attribute__((noinline, noclone))

namespace shapes {
struct Shape {
	virtual ~Shape() {}
	virtual double area() const = 0;
};

struct Circle : Shape {
	double r;
	explicit Circle(double x) : r(x) {}
	NOINL double area() const override { return 3.0 * r * r; }
};

struct Square : Shape {
	double s;
	explicit Square(double x) : s(x) {}
	NOINL double area() const override { return s * s; }
};

NOINL double total(Shape *const *v, int n)
{
	double t = 0;

	for (int i = 0; i < n; i++)
		t += v[i]->area();
	return t;
}
} // namespace shapes

NOINL static int scale(int x)
{
	return x * 2;
}

NOINL static double scale(double x)
{
	return x * 2;
}

// Each worker: total() of two shapes, three times: 3 total, 3 Circle::area,
// 3 Square::area calls per thread.
static void *worker(void *arg)
{
	long id = (long)arg;
	shapes::Circle c(id + 1);
	shapes::Square s(id + 2);
	shapes::Shape *v[2] = {&c, &s};
	double sum = 0;

	for (int i = 0; i < 3; i++)
		sum += shapes::total(v, 2);
	return (void *)(long)sum;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t t[8];
	long sum = 0;

	if (nthreads > 8)
		nthreads = 8;
	for (long i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	sum += (long)worker((void *)(long)nthreads);
	for (int i = 0; i < nthreads; i++) {
		void *r;

		pthread_join(t[i], &r);
		sum += (long)r;
	}
	printf("sum %ld scale %d %.1f\n", sum, scale(2), scale(1.5));
	return 0;
}

package stats

import "math"

// Distribution functions the tests and intervals need, written from their
// textbook definitions (Abramowitz and Stegun 26.5.8 and 26.7.1; the
// continued fraction evaluated by the modified Lentz method).

// normalSF returns P(Z > z) for a standard normal Z.
func normalSF(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// betaInc returns the regularized incomplete beta function I_x(a, b) for
// a, b > 0 and 0 <= x <= 1.
func betaInc(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	// The continued fraction converges fast for x < (a+1)/(a+b+2); use
	// the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) beyond.
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

// betaCF evaluates the continued fraction of the incomplete beta function
// (A&S 26.5.8) by the modified Lentz method.
func betaCF(a, b, x float64) float64 {
	const (
		tiny    = 1e-300
		epsilon = 1e-15
		maxIter = 300 // converges in O(sqrt(max(a, b))) steps
	)
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	f := d
	for m := 1; m <= maxIter; m++ {
		fm := float64(m)
		// Even step.
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		f *= d * c
		// Odd step.
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := d * c
		f *= delta
		if math.Abs(delta-1) < epsilon {
			break
		}
	}
	return f
}

// studentSF returns P(T > t) for Student's t distribution with df > 0
// degrees of freedom (not necessarily whole, as Welch's are).
func studentSF(t, df float64) float64 {
	if math.IsInf(df, 1) {
		return normalSF(t)
	}
	tail := 0.5 * betaInc(df/2, 0.5, df/(df+t*t)) // P(|T| > |t|) / 2
	if t < 0 {
		return 1 - tail
	}
	return tail
}

// studentQuantile returns t with P(T <= t) = p for Student's t with df
// degrees of freedom, for 0.5 <= p < 1 (the upper quantiles an interval
// needs), by bisection on studentSF: monotone, and exact to float64
// precision in at most 200 halvings.
func studentQuantile(p, df float64) float64 {
	q := 1 - p // the upper tail wanted
	lo, hi := 0.0, 1.0
	for studentSF(hi, df) > q {
		lo, hi = hi, hi*2
		if hi > 1e300 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if studentSF(mid, df) > q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

/* plan.h: an epoch's challenge schedule as `assay audit plan` prints it: per node its
 * shards, challenges, batches, first due time and the probability that a node missing 10%
 * of its symbols passes every challenge; with JSON also every batch and challenge, so that
 * after the reveal anyone can check each recorded challenge against it (audit/SCHEDULE.md). */
#ifndef ASSAY_AUDIT_PLAN_H
#define ASSAY_AUDIT_PLAN_H

#include <stdbool.h>
#include <stdio.h>

struct audit_inputs;
struct audit_schedule;

/* Writes the plan of s (built from in) to f: a table, or one JSON object. */
void audit_plan_print(FILE *f, const struct audit_inputs *in, const struct audit_schedule *s,
		      bool json);

#endif

#ifndef PGDECK_COLLECT_STATEMENTS_H
#define PGDECK_COLLECT_STATEMENTS_H

struct collector;

/* The custom run of the "statements" collector and its state's destructor. */
int  statements_run(struct collector *c);
void statements_free_state(void *state);

#endif

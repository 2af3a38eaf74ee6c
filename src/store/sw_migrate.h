/* sw_migrate: forward-only schema migrations, applied at start and recorded in
 * schema_migrations(version, name, applied_at). */
#ifndef SW_MIGRATE_H
#define SW_MIGRATE_H

#include "store/sw_db.h"

/* Applies every migration newer than the store's version, each in its own transaction.
 * Returns the number applied (>= 0) or -1 with a message in err. */
int sw_migrate(sw_db *db, char *err, size_t errlen);
/* The newest version this binary knows. */
int sw_migrate_latest(void);

#endif

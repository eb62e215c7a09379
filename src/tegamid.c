/* placeholder main, replaced by the daemon */
#include "lib/compat.h"
int main(void);
int main(void) { return 0; }

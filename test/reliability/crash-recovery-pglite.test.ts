import { describeCrashRecovery } from './crash-recovery.js';

describeCrashRecovery('pglite');

import { describeCrashRecovery } from './crash-recovery.js';

describeCrashRecovery('postgres');

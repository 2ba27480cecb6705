import { silenceSdkNodeVersionNotice } from '../../src/local/sdk-version-notice.js';

// The AWS SDK's notice that its 2027 releases need Node 22 (the Lambda runtime is Node 22; local
// tools run on 20) would otherwise print in every test file that makes a client.
silenceSdkNodeVersionNotice();

export interface UserDataOptions {
  readonly port: number;
}
export function inferenceServerUserData(options: UserDataOptions): string {
  return `#!/bin/bash\necho ${options.port}\n`;
}

import { Testing } from "cdktf";
// Brings the cdktf matcher typings (toHaveResourceWithProperties, ...) into every test file.
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

"""Microsoft Graph adapter (msgraph-sdk, azure-identity) and a loopback Graph emulator."""

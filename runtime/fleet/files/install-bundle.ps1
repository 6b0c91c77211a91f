<#
.SYNOPSIS
    Runs a copied wsl-portproxy bundle's installer unattended; returns its exit code and message.
.DESCRIPTION
    The one installer call of site.yml (ansible.windows.win_powershell) and of Publish-WslPortProxy
    (Invoke-Command -FilePath): the same file, also run by the tests on the simulated Windows.
    Always returns one object: exit_code (Install-WslPortProxy.ps1's) and message.
.PARAMETER BundlePath
    The folder the bundle was copied to on this server.
.PARAMETER Credential
    The task account's password, for a boot task, as the password of a PSCredential (its user
    name is not used); none, or an empty password, for a logon task. Never a plain string: module
    logging (event 4103) records every command's parameter values.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $BundlePath,
    [System.Management.Automation.PSCredential] $Credential
)
Set-StrictMode -Version Latest
$arguments = @{}
if ($null -ne $Credential -and $Credential.Password.Length -gt 0) {
    $arguments['Password'] = $Credential.Password   # a SecureString; the installer pairs it with the task's account
}
$code = 1
$messages = @()
try {
    $folder = [Environment]::ExpandEnvironmentVariables($BundlePath)
    $installer = Join-Path -Path $folder -ChildPath 'Install-WslPortProxy.ps1'
    $global:LASTEXITCODE = 0
    $output = @(& $installer @arguments 2>&1 3>$null 6>$null)
    $code = $LASTEXITCODE
    foreach ($item in $output) {
        if ($item -is [System.Management.Automation.ErrorRecord]) {
            $messages += $item.Exception.Message
        }
        elseif ($item.PSObject.TypeNames -contains 'WslPortProxy.InstallResult') {
            $messages += "$($item.FirstRun)"
        }
    }
}
catch {
    $messages += $_.Exception.Message
}
[pscustomobject]@{ exit_code = $code; message = ($messages | Where-Object -FilterScript { $_ }) -join ' ' }

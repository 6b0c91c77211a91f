<#
.SYNOPSIS
    Runs the installed Uninstall-WslPortProxy.ps1; returns its exit code and message.
.DESCRIPTION
    The one uninstaller call of uninstall.yml (ansible.windows.win_powershell); the tests run the
    same file on the simulated Windows. Always returns one object: exit_code and message.
.PARAMETER InstallDirectory
    The install folder as the inventory writes it ('%ProgramData%\WslPortProxy').
.PARAMETER Purge
    Remove the logs too.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $InstallDirectory,
    [bool] $Purge = $false
)
Set-StrictMode -Version Latest
$code = 1
$messages = @()
try {
    $folder = [Environment]::ExpandEnvironmentVariables($InstallDirectory)
    $global:LASTEXITCODE = 0
    $output = @(& (Join-Path -Path $folder -ChildPath 'Uninstall-WslPortProxy.ps1') -Purge:$Purge 2>&1 3>$null 6>$null)
    $code = $LASTEXITCODE
    foreach ($item in $output) {
        if ($item -is [System.Management.Automation.ErrorRecord]) {
            $messages += $item.Exception.Message
        }
        elseif ($item.PSObject.TypeNames -contains 'WslPortProxy.UninstallResult') {
            $messages += "Removed $($item.RulesRemoved) rule(s); task removed: $($item.TaskRemoved)."
        }
    }
}
catch {
    $messages += $_.Exception.Message
}
[pscustomobject]@{ exit_code = $code; message = ($messages | Where-Object -FilterScript { $_ }) -join ' ' }

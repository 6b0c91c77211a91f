<#
    The WslPortProxy module. It loads the files its manifest lists in FileList (nothing else in
    its folder ever runs) and exports the commands of Public\.

    The constants below are the only module-scope variables a function may read (always as
    $script:Name); every other input comes through parameters. tests/powershell/gate/Gate.Tests.ps1
    enforces that list.
#>
Set-StrictMode -Version Latest

# Importing never depends on the caller's preference variables: `powershell.exe -File X.ps1 -WhatIf`
# runs X.ps1 in the global scope, so its $WhatIfPreference reaches this file, and New-Variable honours
# it (the constants would not be made). Each constant is made with -WhatIf:$false -Confirm:$false.
$constant = @{ Scope = 'Script'; Option = 'Constant'; WhatIf = $false; Confirm = $false }
New-Variable @constant -Name 'WslppExitCodeKey' -Value 'WslPortProxyExitCode'
New-Variable @constant -Name 'WslppSchemaVersion' -Value 4
New-Variable @constant -Name 'WslppStatusSchemaVersion' -Value 1   # -Status -Json's document
New-Variable @constant -Name 'WslppSettingsFile' -Value 'WslPortProxy.Settings.psd1'
New-Variable @constant -Name 'WslppModuleName' -Value 'WslPortProxy'
New-Variable @constant -Name 'WslppEventSource' -Value 'WslPortProxy'
New-Variable @constant -Name 'WslppEventIds' -Value ([pscustomobject]@{
        Applied = 1000; NoChange = 1001; Watching = 1002; WslRestarted = 1003; Warning = 2000; Failure = 3000
    })
New-Variable @constant -Name 'WslppFirewallGroup' -Value 'WSL Port Proxy'
# The SIDs trusted with the install folder and its parents (SDDL forms): Administrators, SYSTEM, and
# TrustedInstaller (the owner of C:\ and %ProgramFiles%).
New-Variable @constant -Name 'WslppTrustedSidPattern' `
    -Value '^(BA|SY|S-1-5-32-544|S-1-5-18|S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)$'
New-Variable @constant -Name 'WslppRulePrefix' -Value 'WslPortProxy'
New-Variable @constant -Name 'WslppPortProxyKey' `
    -Value 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v4tov4\tcp'
New-Variable @constant -Name 'WslppPortProxyV6Key' `
    -Value 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v6tov4\tcp'
# A rule's registry value name, and the target it holds: 'a.b.c.d/port' (v4tov4) or 'ipv6/port' (v6tov4;
# the target is IPv4 either way).
New-Variable @constant -Name 'WslppRuleKeyPattern' `
    -Value '^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f.]*:[0-9a-f:.]*)/\d{1,5}$'
New-Variable @constant -Name 'WslppTaskName' -Value 'WslPortProxy'
New-Variable @constant -Name 'WslppTaskPath' -Value '\WslPortProxy\'
New-Variable @constant -Name 'WslppRetrySeconds' -Value 30
New-Variable @constant -Name 'WslppEventRetrySeconds' -Value 2   # restarting podman events
New-Variable @constant -Name 'WslppEventDrainMilliseconds' -Value 1000   # podman events read per wake-up, at most
New-Variable @constant -Name 'WslppStopWaitSeconds' -Value 30
# How long the installer waits for Task Scheduler to start a logon task it could not tell would run.
New-Variable @constant -Name 'WslppLogonStartSeconds' -Value 10
# A keep-alive that ends sooner than this after its start died: back off instead of reconciling at once.
New-Variable @constant -Name 'WslppQuickExitSeconds' -Value 10
New-Variable @constant -Name 'WslppLogKeep' -Value 4
# How long a program may run when the settings name no time of their own for it (whoami, icacls, taskkill, ...).
New-Variable @constant -Name 'WslppCommandTimeoutSeconds' -Value 60
# An event's message is cut to this many characters: ReportEvent documents 31,839, and writes fail from
# about 31,700 (measured on Windows 10 and 11).
New-Variable @constant -Name 'WslppEventMaxChars' -Value 30000

$manifest = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy.psd1')
foreach ($relative in $manifest.FileList) {
    if ($relative -notlike '*.ps1') {
        continue
    }
    $folder, $name = $relative.Split('\')
    . (Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath $folder) -ChildPath $name)
}
Export-ModuleMember -Function $manifest.FunctionsToExport
Remove-Variable -Name 'manifest', 'relative', 'folder', 'name', 'constant' -WhatIf:$false -Confirm:$false

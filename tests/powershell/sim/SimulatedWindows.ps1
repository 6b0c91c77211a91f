<#
    A simulated Windows for running the generated scripts, unmodified, on any OS.

    Dot-source it in BeforeAll. Every function is global, like the cmdlets it stands in for: the
    WslPortProxy module runs in its own session state and sees global commands only. It provides
      - New-SimulatedWindows: a temp folder standing in for C:\ (ProgramData, Program Files,
        Windows\System32) with fake wsl.exe / netsh.exe / podman.exe / whoami.exe / icacls.exe
        (tests/powershell/sim/fakewin.py) that keep their state as JSON in a state folder;
      - stand-in functions for the Windows-only cmdlets the scripts call (registry read of the
        portproxy key, services, firewall, scheduled tasks, Get-Credential), backed by the
        same state folder;
      - helpers to set the scene and read the simulated system.
#>

Set-StrictMode -Version Latest

$global:WslppSim = $null
$global:WslppPortProxyKeyPath = 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v4tov4\tcp'
$global:WslppPortProxyV6KeyPath = 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v6tov4\tcp'
$global:WslppCurrentVersionKeyPath = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

$global:WslppSimOnWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'

function global:ConvertTo-SimHashtable {
    <# ConvertFrom-Json's objects as hashtables and arrays (Windows PowerShell 5.1 has no -AsHashtable). #>
    param($Data)
    if ($Data -is [System.Management.Automation.PSCustomObject]) {
        $table = @{}
        foreach ($property in $Data.PSObject.Properties) { $table[$property.Name] = ConvertTo-SimHashtable $property.Value }
        return $table
    }
    if ($Data -is [System.Collections.IList]) { return , @($Data | ForEach-Object { ConvertTo-SimHashtable $_ }) }
    return $Data
}

function global:Read-SimState {
    param([Parameter(Mandatory)] [string] $Name, $Default = $null)
    $path = Join-Path $global:WslppSim.State $Name
    if (-not (Test-Path -LiteralPath $path)) { return $Default }
    $text = Get-Content -LiteralPath $path -Raw
    if ($PSVersionTable.PSVersion.Major -ge 7) {   # fast path; Windows PowerShell 5.1 has no -AsHashtable
        $data = ConvertFrom-Json -InputObject $text -AsHashtable -NoEnumerate
        if ($data -is [System.Collections.Generic.List[object]]) { return , @($data) }
        return $data
    }
    return ConvertTo-SimHashtable ($text | ConvertFrom-Json)
}

function global:Write-SimText {
    <#
        UTF-8 without BOM in both PowerShell editions, written aside and renamed over the file, so that
        a fake reading it at that moment reads the old text or the new, never a part (a fake `podman
        events` once read podman.json half-written). The rename is atomic on POSIX (rename(2)) and
        on NTFS (File.Replace/File.Move, MoveFileEx); on Windows it fails while another process has
        the file open without FILE_SHARE_DELETE, so it is retried for up to 5 s.
    #>
    param([string] $Path, [string] $Text)
    $aside = '{0}.{1}.{2}.tmp' -f $Path, $PID, [guid]::NewGuid().ToString('n')
    [System.IO.File]::WriteAllText($aside, $Text, (New-Object System.Text.UTF8Encoding $false))
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ($true) {
        try {
            if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Replace($aside, $Path, [NullString]::Value) }
            else { [System.IO.File]::Move($aside, $Path) }
            return
        }
        catch {
            $cause = $_.Exception.GetBaseException()
            $retry = $cause -is [System.IO.IOException] -or $cause -is [System.UnauthorizedAccessException]
            if (-not $retry -or [DateTime]::UtcNow -ge $deadline) {
                Remove-Item -LiteralPath $aside -Force -ErrorAction SilentlyContinue
                throw
            }
            Start-Sleep -Milliseconds 20
        }
    }
}

function global:Write-SimState {
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [AllowNull()] $Data)
    Write-SimText -Path (Join-Path $global:WslppSim.State $Name) -Text (ConvertTo-Json -InputObject $Data -Depth 10)
}

function global:New-SimulatedWindows {
    <# Creates the folder tree, the fakes and a default scene; sets the environment the scripts read. #>
    param(
        [string] $WslIp = '172.28.241.140',
        [string] $Distro = 'podman-machine-default',
        [string] $ComputerName = 'WEB-01',
        [switch] $NoPodman,
        # Where podman.exe is (containers/podman contrib/win-installer): RedHat = %ProgramFiles%\RedHat\Podman
        # (the installer up to 5.6.x, burn.wxs; the setup.exe later); Machine = %ProgramFiles%\Podman (the
        # MSI from 5.7.0 in machine scope, podman-main.wxs); User = %LOCALAPPDATA%\Programs\Podman (that
        # MSI's default user scope), with USERPROFILE and LOCALAPPDATA set for CORP\svc-podman.
        [ValidateSet('RedHat', 'Machine', 'User')] [string] $PodmanScope = 'RedHat'
    )
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ("simwin-" + [guid]::NewGuid().ToString('n'))
    $sim = [pscustomobject]@{
        Root         = $root
        State        = Join-Path $root 'state'
        ProgramData  = Join-Path $root 'ProgramData'
        ProgramFiles = Join-Path $root 'Program Files'
        SystemRoot   = Join-Path $root 'Windows'
        SavedEnv     = @{}
        Background   = [System.Collections.ArrayList]::new()
        Tasks        = @{}
        Stopping     = @{}
    }
    foreach ($dir in @($sim.State, $sim.ProgramData, $sim.ProgramFiles, (Join-Path $sim.SystemRoot 'System32'))) {
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
    }
    $global:WslppSim = $sim
    Write-SimState 'acl.json' @{}
    Set-SimAcl -Path $root -Owner $global:SimTrustedInstaller -Dacl $global:SimVolumeRootDacl -Protected
    Set-SimAcl -Path $sim.ProgramData -Owner 'SY' -Dacl $global:SimProgramDataDacl -Protected
    Set-SimAcl -Path $sim.ProgramFiles -Owner $global:SimTrustedInstaller -Dacl $global:SimProgramFilesDacl -Protected
    $fake = Join-Path $PSScriptRoot 'fakewin.py'
    # The WSL package's wsl.exe, and the inbox one that enabling the WSL feature puts in System32
    # (Microsoft Docs, "Install WSL on Windows Server"; only the package's works before logon).
    Install-SimProgram -Program wsl -Path (Join-Path (Join-Path $sim.ProgramFiles 'WSL') 'wsl.exe') -Fake $fake
    foreach ($program in 'wsl', 'netsh', 'whoami', 'icacls', 'taskkill') {
        Install-SimProgram -Program $program -Path (Join-Path (Join-Path $sim.SystemRoot 'System32') "$program.exe") -Fake $fake
    }
    $userProfile = Join-Path (Join-Path $root 'Users') 'svc-podman'
    $localAppData = $null
    if ($PodmanScope -eq 'User') { $localAppData = Join-Path (Join-Path $userProfile 'AppData') 'Local' }
    if (-not $NoPodman) {
        $podmanFolder = switch ($PodmanScope) {
            'RedHat' { Join-Path (Join-Path $sim.ProgramFiles 'RedHat') 'Podman' }
            'Machine' { Join-Path $sim.ProgramFiles 'Podman' }
            'User' { Join-Path (Join-Path $localAppData 'Programs') 'Podman' }
        }
        Install-SimProgram -Program podman -Path (Join-Path $podmanFolder 'podman.exe') -Fake $fake
    }
    Write-SimState 'wsl.json' @{ distros = @{ $Distro = @{ ip = $WslIp; no_ip_for = 0; generation = 0 } } }
    Write-SimState 'registry.json' (New-SimRegistry -Sim $sim)
    Write-SimState 'podman.json' @{ machines = @{ $Distro = 'stopped' } }
    # iphlpsvc shares a svchost (PID 2872) with other services, as on Windows (Microsoft Docs, Win32_Service).
    Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Running'; StartType = 'Automatic'; ProcessId = 2872 }; Winmgmt = @{ Status = 'Running'; StartType = 'Automatic'; ProcessId = 2872 } }
    Write-SimState 'firewall.json' @{}
    Write-SimState 'tasks.json' @{}
    Write-SimState 'eventsources.json' @{}
    # Who is logged on (Set-SimLogonSession): the installing admin (USERDOMAIN\USERNAME below) at the
    # console, where an admin who runs the installer by hand sits.
    Set-SimLogonSession @{ 'CORP\svc-podman' = 2 }
    $environment = @{
        ProgramData = $sim.ProgramData; ProgramFiles = $sim.ProgramFiles; SystemRoot = $sim.SystemRoot; SystemDrive = $root
        COMPUTERNAME = $ComputerName; USERDOMAIN = 'CORP'; USERNAME = 'svc-podman'; WSL_UTF8 = $null
        WSLPP_SIM_STATE = $sim.State
    }
    if ($localAppData) { $environment.USERPROFILE = $userProfile; $environment.LOCALAPPDATA = $localAppData }
    foreach ($name in $environment.Keys) {
        $sim.SavedEnv[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $environment[$name])
    }
    return $sim
}

function global:New-SimRegistry {
    <#
        The HKLM values the module reads for folders and WSL's network (only administrators can write
        HKLM\SOFTWARE). SystemRoot (REG_SZ) under Windows NT\CurrentVersion; ProgramFilesDir (REG_SZ)
        under Windows\CurrentVersion; ProgramData under ProfileList, a REG_EXPAND_SZ holding
        '%SystemDrive%\ProgramData' (Windows' default); NatNetwork and NatGatewayIpAddress (REG_SZ) under
        Lxss, which WSL writes at every VM start in NAT mode (microsoft/WSL WslCoreConfig.cpp
        SaveNetworkingSettings). Real NAT networks are narrower (a /20 such as 172.28.240.0/20 is
        typical); 172.28.0.0/16 holds every WSL address this suite uses.
    #>
    param([Parameter(Mandatory)] $Sim)
    return @{
        'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' = @{ SystemRoot = $Sim.SystemRoot }
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion' = @{ ProgramFilesDir = $Sim.ProgramFiles }
        'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' = @{
            ProgramData = @{ Type = 'ExpandString'; Data = '%SystemDrive%\ProgramData' }
        }
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss' = @{
            NatNetwork = '172.28.0.0/16'; NatGatewayIpAddress = '172.28.0.1'
        }
    }
}

function global:Set-SimRegistry {
    <# Sets (or, with $null, deletes) one value of the simulated HKLM registry (registry.json). #>
    param([Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $Name, [AllowNull()] $Value)
    $registry = Read-SimState 'registry.json' @{}
    if (-not $registry.ContainsKey($Key)) { $registry[$Key] = @{} }
    if ($null -eq $Value) { $registry[$Key].Remove($Name) } else { $registry[$Key][$Name] = $Value }
    Write-SimState 'registry.json' $registry
}

function global:Get-SimRegistryValue {
    <#
        One value of the simulated registry: its data, with a REG_EXPAND_SZ's %NAME% expanded from this
        process's environment unless Raw, as RegistryKey.GetValue does (learn.microsoft.com,
        RegistryKey.GetValue: "REG_EXPAND_SZ ... expanded using data from the local environment";
        RegistryValueOptions.DoNotExpandEnvironmentNames keeps them). $null when there is no such value.
    #>
    param([Parameter(Mandatory)] [hashtable] $Values, [Parameter(Mandatory)] [string] $Name, [switch] $Raw)
    if (-not $Values.ContainsKey($Name)) { return $null }
    $value = $Values[$Name]
    if ($value -isnot [hashtable]) { return $value }
    if ($Raw) { return $value.Data }
    return [Environment]::ExpandEnvironmentVariables($value.Data)
}

function global:Connect-SimulatedWindows {
    <#
        In another process (an entry script run with -File, see sim/Start-SimEntry.ps1): the simulated
        Windows that New-SimulatedWindows made, found through the environment it set.
    #>
    if (-not $env:WSLPP_SIM_STATE) { throw 'No simulated Windows: WSLPP_SIM_STATE is not set.' }
    $global:WslppSim = [pscustomobject]@{
        Root = Split-Path -Parent $env:WSLPP_SIM_STATE; State = $env:WSLPP_SIM_STATE
        ProgramData = $env:ProgramData; ProgramFiles = $env:ProgramFiles; SystemRoot = $env:SystemRoot
        SavedEnv = @{}; Background = [System.Collections.ArrayList]::new(); Tasks = @{}; Stopping = @{}
    }
}

function global:ConvertTo-SimEntryWord {
    <# Parameters as the words of a command line: @{ Watch = $true; Minutes = 5 } -> '-Minutes', '5', '-Watch'. #>
    param([hashtable] $Parameters = @{})
    foreach ($name in $Parameters.Keys | Sort-Object) {
        "-$name"
        if ($Parameters[$name] -isnot [bool] -and $Parameters[$name] -isnot [switch]) { "$($Parameters[$name])" }
    }
}

function global:Invoke-SimEntryScript {
    <#
        Runs an entry script as Windows does: a separate PowerShell process started with -File and the
        given words as its arguments (what the task's action, an admin in cmd or a deployment tool
        passes), on this simulated Windows (sim/Start-SimEntry.ps1). Returns its exit code and what it
        wrote to stdout and stderr. Account ('CORP\admin') runs it as another account: USERDOMAIN and
        USERNAME of the child only (the fakes take them for the caller's token; fakewin.py caller()).
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Arguments = @(), [int] $TimeoutSeconds = 300,
        [string] $Account)
    if ($Account) {
        $saved = @{ USERDOMAIN = $env:USERDOMAIN; USERNAME = $env:USERNAME }
        $env:USERDOMAIN, $env:USERNAME = $Account.Split('\', 2)
        try { return Invoke-SimEntryScript -Path $Path -Arguments $Arguments -TimeoutSeconds $TimeoutSeconds }
        finally { $env:USERDOMAIN = $saved.USERDOMAIN; $env:USERNAME = $saved.USERNAME }
    }
    # The PowerShell this test runs in: powershell.exe (5.1) or pwsh, which can be a dotnet tool (not the process's own path).
    $shell = Join-Path $PSHOME 'powershell.exe'
    if ($PSVersionTable.PSEdition -ne 'Desktop') { $shell = @(Get-ChildItem -LiteralPath $PSHOME -Filter 'pwsh*' | Where-Object { $_.Name -in 'pwsh', 'pwsh.exe' })[0].FullName }
    $entry = Join-Path $PSScriptRoot 'Start-SimEntry.ps1'
    $out = Join-Path $global:WslppSim.Root "entry-$([guid]::NewGuid().ToString('n'))"
    $words = @('-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $entry, $Path) + @($Arguments | Where-Object { $null -ne $_ })
    $process = Start-Process -FilePath $shell -ArgumentList (@($words | ForEach-Object { '"{0}"' -f $_ }) -join ' ') -NoNewWindow -PassThru `
        -RedirectStandardOutput "$out.out" -RedirectStandardError "$out.err"
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill()
        throw "$Path $Arguments did not end within $TimeoutSeconds s"
    }
    $process.WaitForExit()
    # PowerShell 7 may colour what it writes (ANSI escapes, e.g. under a TERM); Windows PowerShell 5.1 does not.
    $plain = { param($Path) [System.IO.File]::ReadAllText($Path) -replace '\x1b\[[0-9;?]*[A-Za-z]', '' }
    return [pscustomobject]@{
        ExitCode = $process.ExitCode
        Output   = & $plain "$out.out"
        Error    = & $plain "$out.err"
    }
}

function global:Get-SimPython {
    <#
        The Python that runs the fakes and the generator: WSLPP_PYTHON when set (the test command
        sets it to its own), else the project's venv from .ci/install-tools, else python3.
    #>
    if ($env:WSLPP_PYTHON) { return $env:WSLPP_PYTHON }
    $repo = Split-Path (Split-Path (Split-Path $PSScriptRoot))
    foreach ($candidate in (Join-Path $repo '.venv/bin/python'), (Join-Path $repo '.venv/Scripts/python.exe')) {
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    return 'python3'
}

function global:Install-SimProgram {
    <# POSIX: a shell wrapper around fakewin.py. Windows: a copy of fakewin.exe (WSLPP_FAKE_EXE, built by the workflow). #>
    param([string] $Program, [string] $Path, [string] $Fake)
    New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null
    if ($global:WslppSimOnWindows) {
        if (-not $env:WSLPP_FAKE_EXE) { throw 'On Windows, set WSLPP_FAKE_EXE to fakewin.exe (PyInstaller --onefile tests/powershell/sim/fakewin.py).' }
        Copy-Item -LiteralPath $env:WSLPP_FAKE_EXE -Destination $Path
        return
    }
    $state = $global:WslppSim.State
    $python = Get-SimPython
    # WSLPP_SIM_SELF: the path the program was started as (what sys.argv[0] is for a real .exe).
    Set-Content -LiteralPath $Path -Value "#!/bin/sh`nWSLPP_SIM_SELF=`"`$0`" exec '$python' '$Fake' '$state' $Program `"`$@`"`n" -NoNewline
    & chmod +x $Path
}

function global:Remove-SimulatedWindows {
    if ($null -eq $global:WslppSim) { return }
    foreach ($handle in @($global:WslppSim.Background)) {
        $null = Stop-SimScript -Handle $handle
        $handle.Shell.Dispose()
    }
    foreach ($name in $global:WslppSim.SavedEnv.Keys) {
        [Environment]::SetEnvironmentVariable($name, $global:WslppSim.SavedEnv[$name])
    }
    Remove-Item -LiteralPath $global:WslppSim.Root -Recurse -Force -ErrorAction SilentlyContinue
    $global:WslppSim = $null
}

# ---- scene and inspection helpers ------------------------------------------------------------

function global:Get-SimPortProxy { Read-SimState 'portproxy.json' $null }
function global:Get-SimPortProxyV6 { Read-SimState 'portproxy-v6.json' $null }
function global:Set-SimPortProxyV6 { param([hashtable] $Rules) Write-SimState 'portproxy-v6.json' $Rules }
function global:Split-SimEndpoint {
    <# '0.0.0.0:80' or '[::]:80' -> address, port. #>
    param([string] $Endpoint)
    if ($Endpoint -notmatch '^\[?(?<address>.*?)\]?:(?<port>\d+)$') { throw "not an endpoint: $Endpoint" }
    return $Matches['address'], [int] $Matches['port']
}
function global:Set-SimSession0 {
    <# The task runs before anyone logs on, in session 0: only the WSL package's wsl.exe works there (fakewin.py). #>
    Write-SimState 'session.json' @{ session0 = $true }
}
function global:Set-SimWindowsPath {
    <#
        PATH as Windows has it once the WSL package is installed: %SystemRoot%\System32, %SystemRoot%,
        %SystemRoot%\System32\Wbem first (the default system Path), then this process's own PATH (so
        the POSIX tools the tests use stay found), and %ProgramFiles%\WSL last: the WSL MSI appends
        it (microsoft/WSL msipackage/package.wix.in:56, Part="last", WSL 2.8.5 and later). Podman
        5.6 and later runs "wsl" from PATH (fakewin.py podman_wsl). Restored by Remove-SimulatedWindows.
    #>
    $system32 = Join-Path $global:WslppSim.SystemRoot 'System32'
    $folders = @($system32, $global:WslppSim.SystemRoot, (Join-Path $system32 'Wbem'), $env:PATH,
        (Join-Path $global:WslppSim.ProgramFiles 'WSL'))
    if (-not $global:WslppSim.SavedEnv.ContainsKey('PATH')) { $global:WslppSim.SavedEnv['PATH'] = $env:PATH }
    $env:PATH = $folders -join [System.IO.Path]::PathSeparator
}
function global:Set-SimLogonSession {
    <#
        Who is logged on to this Windows, and how (logons.json): account ('DOMAIN\user') -> its logon
        sessions' LogonType, the numbers of Win32_LogonSession (learn.microsoft.com, "Win32_LogonSession
        class"; SECURITY_LOGON_TYPE in ntsecapi.h): 2 Interactive (at the console), 10 RemoteInteractive
        (Remote Desktop), 11 CachedInteractive, 12 CachedRemoteInteractive, 3 Network (WinRM: Ansible,
        Invoke-Command, Publish-WslPortProxy; a share). An account with several sessions: @{ 'CORP\a' = 2, 3 }.
        Replaces every user's sessions; the system's own stay (SYSTEM 0, NETWORK SERVICE 5). -Upn names
        an account's user principal name ('CORP\a' = 'a@corp.example'), by which Task Scheduler knows the
        account too. @{} = nobody is logged on. New-SimulatedWindows: CORP\svc-podman at the console.
    #>
    param([System.Collections.IDictionary] $Session = @{}, [hashtable] $Upn = @{})
    $sessions = [System.Collections.Generic.List[object]]::new()
    $sessions.Add(@{ LogonId = '999'; LogonType = 0; Account = 'NT AUTHORITY\SYSTEM' })
    $sessions.Add(@{ LogonId = '996'; LogonType = 5; Account = 'NT AUTHORITY\NETWORK SERVICE' })
    $id = 310000
    foreach ($account in $Session.Keys) {
        foreach ($type in @($Session[$account])) {
            $id += 17
            $entry = @{ LogonId = "$id"; LogonType = [int] $type; Account = $account }
            if ($Upn.ContainsKey($account)) { $entry.Upn = $Upn[$account] }
            $sessions.Add($entry)
        }
    }
    Write-SimState 'logons.json' @{ sessions = $sessions.ToArray() }
}
function global:Test-SimInteractiveSession {
    <#
        Whether an account (a task principal's UserId: 'DOMAIN\user', or a user principal name) has an
        interactive session: one of LogonType 2, 10, 11 or 12 in logons.json (Set-SimLogonSession).
    #>
    param([string] $Account)
    foreach ($session in @((Read-SimState 'logons.json' @{ sessions = @() }).sessions)) {
        if ([int] $session.LogonType -notin 2, 10, 11, 12) { continue }
        if ($session.Account -eq $Account -or ($session.ContainsKey('Upn') -and $session.Upn -eq $Account)) { return $true }
    }
    return $false
}
function global:Remove-SimWsl {
    <# No wsl.exe anywhere: neither the WSL package nor the inbox System32 one. #>
    Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WSL') -Recurse
    Remove-Item -LiteralPath (Join-Path (Join-Path $global:WslppSim.SystemRoot 'System32') 'wsl.exe')
}
function global:Set-SimPortProxy { param([hashtable] $Rules) Write-SimState 'portproxy.json' $Rules }
function global:Get-SimFirewall { Read-SimState 'firewall.json' @{} }
function global:Set-SimWsl { param([hashtable] $Distros) Write-SimState 'wsl.json' @{ distros = $Distros } }
function global:Get-SimCall {
    param([string] $Program)
    $path = Join-Path $global:WslppSim.State 'calls.log'
    if (-not (Test-Path $path)) { return @() }
    return @(Get-Content $path | Where-Object { -not $Program -or $_ -like "$Program *" })
}
function global:Get-UpdateLog {
    <# The installed script's whole log (default install_dir): rotated generations, oldest first, then the current file. #>
    $logs = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/logs'
    $names = @(4, 3, 2, 1 | ForEach-Object { "Update-WslPortProxy.$_.log" }) + 'Update-WslPortProxy.log'
    $parts = foreach ($name in $names) {
        $path = Join-Path $logs $name
        if (Test-Path -LiteralPath $path) { Get-Content -LiteralPath $path -Raw }
    }
    return (@($parts) -join '')
}

function global:Get-SimNetshCommand {
    <# Every portproxy command netsh ran, alone or from a `netsh -f` script: 'interface portproxy set v4tov4 ...'. #>
    return @(Get-SimCall | Where-Object { $_ -like 'netsh interface *' -or $_ -like 'netsh> *' } | ForEach-Object { $_ -replace '^netsh>? ', '' })
}

function global:Add-SimCall {
    param([string] $Line)
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "cmdlet $Line"
}
function global:Clear-SimCall { Remove-Item -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -ErrorAction SilentlyContinue }
function global:ConvertTo-SortedData {
    <# The same data with every hashtable's keys sorted, so that two snapshots compare as text. #>
    param($Data)
    if ($Data -is [System.Collections.IDictionary]) {
        $sorted = [ordered]@{}
        foreach ($key in $Data.Keys | Sort-Object) { $sorted[$key] = ConvertTo-SortedData $Data[$key] }
        return $sorted
    }
    if ($Data -is [System.Collections.IList]) { return , @($Data | ForEach-Object { ConvertTo-SortedData $_ }) }
    return $Data
}

function global:Get-SimRules {
    <# The portproxy and firewall rules, as one comparable text. #>
    return ConvertTo-Json -Compress -Depth 10 -InputObject @((ConvertTo-SortedData (Get-SimPortProxy)), (ConvertTo-SortedData (Get-SimFirewall)))
}

function global:Get-SimSnapshot {
    <# Everything the simulated system holds, as one comparable text (calls and fault counters excluded). #>
    $parts = foreach ($file in Get-ChildItem -LiteralPath $global:WslppSim.State -File | Sort-Object Name) {
        # State only: call records, fault counters and event logs are not part of the system's state.
        # taskfolders.json: Task Scheduler keeps an emptied task folder (\WslPortProxy) after Unregister-ScheduledTask.
        if ($file.Extension -ne '.json' -or $file.Name -in 'netsh-faults.json', 'icacls.json', 'taskfolders.json') { continue }
        $data = Read-SimState $file.Name
        if ($file.Name -eq 'acl.json') {   # the security of paths that still exist
            $kept = @{}
            foreach ($path in @($data.Keys | Where-Object { Test-Path -LiteralPath $_ })) { $kept[$path] = $data[$path] }
            if ($kept.Count -eq 0) { continue }
            $data = $kept
        }
        "== $($file.Name)`n" + (ConvertTo-Json -InputObject (ConvertTo-SortedData $data) -Depth 10 -Compress)
    }
    $files = Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Recurse -Force | ForEach-Object { $_.FullName.Substring($global:WslppSim.Root.Length) } | Sort-Object
    return (@($parts) + @($files)) -join "`n"
}

# ---- stand-ins for Windows-only cmdlets ----------------------------------------------------------

function global:Get-ItemProperty {
    <#
        The portproxy registry key and the HKLM keys of registry.json (New-SimRegistry) come from the
        simulated state; every other path is real. Like the registry provider, a REG_EXPAND_SZ comes back
        expanded with this process's environment (Get-SimRegistryValue); a missing key is an error, a
        missing value under -Name an error too (both ItemNotFound/property not found in real PowerShell).
    #>
    [CmdletBinding()]
    param([string[]] $LiteralPath, [Parameter(Position = 0)] [string[]] $Path, [string[]] $Name)
    $target = @($LiteralPath) + @($Path) | Where-Object { $_ } | Select-Object -First 1
    $registry = @{}
    if ("$target" -like 'HKLM:\*' -and $null -ne $global:WslppSim) { $registry = Read-SimState 'registry.json' @{} }
    if ($target -eq $global:WslppCurrentVersionKeyPath -or $registry.ContainsKey($target)) {
        $values = @{}
        if ($registry.ContainsKey($target)) { $values = $registry[$target] }
        $item = [ordered]@{}
        foreach ($key in $values.Keys) { $item[$key] = Get-SimRegistryValue -Values $values -Name $key }
        if ($target -eq $global:WslppCurrentVersionKeyPath) {
            # CurrentBuildNumber is a REG_SZ (Microsoft Docs, "Windows Server release information": Server
            # 2019 = 17763, Server 2022 = 20348, Server 2025 = 26100). windows.json {build: '17763'} sets it.
            $windows = Read-SimState 'windows.json' @{ build = '20348' }
            $item['CurrentBuildNumber'] = "$($windows.build)"
        }
        foreach ($wanted in @($Name | Where-Object { $_ })) {
            if (-not $item.Contains($wanted)) {
                Write-Error -Message "Property $wanted does not exist at path $target." -Category InvalidArgument
                return
            }
        }
        $item['PSChildName'] = Split-Path -Path $target -Leaf
        return [pscustomobject]$item
    }
    if ($target -notin @($global:WslppPortProxyKeyPath, $global:WslppPortProxyV6KeyPath)) {
        return Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters
    }
    $rules = Get-SimPortProxy
    if ($target -eq $global:WslppPortProxyV6KeyPath) { $rules = Get-SimPortProxyV6 }
    if ($null -eq $rules) {
        Write-Error -Message "Cannot find path '$target' because it does not exist." -Category ObjectNotFound
        return
    }
    $item = [ordered]@{}
    foreach ($key in $rules.Keys | Sort-Object) { $item[$key] = $rules[$key] }
    $item['PSPath'] = "Microsoft.PowerShell.Core\Registry::$target"
    $item['PSChildName'] = 'tcp'
    return [pscustomobject]$item
}

function global:Get-Item {
    <#
        An HKLM key of registry.json as the registry provider gives it (a RegistryKey): GetValue(name,
        default, options) returns the data, a REG_EXPAND_SZ expanded unless the options hold
        DoNotExpandEnvironmentNames (learn.microsoft.com, RegistryKey.GetValue(String, Object,
        RegistryValueOptions)). Every other path is the real Get-Item's.
    #>
    [CmdletBinding()]
    param([string[]] $LiteralPath, [Parameter(Position = 0)] [string[]] $Path, [switch] $Force)
    $target = @($LiteralPath) + @($Path) | Where-Object { $_ } | Select-Object -First 1
    $registry = $null
    if ("$target" -like 'HKLM:\*' -and $null -ne $global:WslppSim) { $registry = Read-SimState 'registry.json' @{} }
    if ($null -eq $registry -or -not $registry.ContainsKey($target)) {
        return Microsoft.PowerShell.Management\Get-Item @PSBoundParameters
    }
    $key = [pscustomobject]@{ Name = $target; Values = $registry[$target] }
    $key | Add-Member -MemberType ScriptMethod -Name GetValue -Value {
        param($Name, $Default, $Options)
        $raw = "$Options" -match 'DoNotExpandEnvironmentNames'
        $data = Get-SimRegistryValue -Values $this.Values -Name $Name -Raw:$raw
        if ($null -eq $data) { return $Default }
        return $data
    }
    return $key
}

function global:Get-Service {
    [CmdletBinding()] param([Parameter(Mandatory)] [string] $Name)
    $services = Read-SimState 'services.json' @{}
    if (-not $services.ContainsKey($Name)) { Write-Error "Cannot find any service with service name '$Name'."; return }
    return [pscustomobject]@{ Name = $Name; Status = $services[$Name].Status; StartType = $services[$Name].StartType }
}

function global:Set-Service {
    [CmdletBinding(SupportsShouldProcess)] param([Parameter(Mandatory)] [string] $Name, [string] $StartupType)
    $services = Read-SimState 'services.json' @{}
    Add-SimCall "Set-Service $Name -StartupType $StartupType"
    $services[$Name].StartType = $StartupType
    Write-SimState 'services.json' $services
}

function global:Start-Service {
    [CmdletBinding(SupportsShouldProcess)] param([Parameter(Mandatory)] [string] $Name)
    $services = Read-SimState 'services.json' @{}
    # RefuseStart: the service fails to start; the message is Start-Service's own (ServiceCommandException).
    if ($services[$Name].ContainsKey('RefuseStart') -and $services[$Name].RefuseStart) {
        throw "Service '$Name' cannot be started due to the following error: Cannot start service $Name on computer '.'."
    }
    Add-SimCall "Start-Service $Name"
    $services[$Name].Status = 'Running'
    if (-not $services[$Name].ContainsKey('ProcessId')) { $services[$Name].ProcessId = 2872 }
    Write-SimState 'services.json' $services
}

function global:ConvertTo-SimMaskNotation {
    <# Windows reports 192.168.0.0/24 back as 192.168.0.0/255.255.255.0. #>
    param([string] $Address)
    if ($Address -match '^(\d+\.\d+\.\d+\.\d+)/(\d+)$') {
        $bits = [int] $Matches[2]
        $mask = foreach ($i in 0..3) { $n = [Math]::Max(0, [Math]::Min(8, $bits - 8 * $i)); 256 - [Math]::Pow(2, 8 - $n) }
        return '{0}/{1}' -f $Matches[1], (($mask | ForEach-Object { [int] $_ }) -join '.')
    }
    return $Address
}

function global:Add-SimQuery {
    <#
        Records a query of a CIM-backed cmdlet (NetSecurity, NetTCPIP: each call is a CIM query,
        tens of milliseconds on a real server; docs/windows-facts.md, "CIM costs") as
        'cim <cmdlet> <what>', so tests and the bench can count them.
    #>
    param([string] $Line)
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "cim $Line"
}

function global:ConvertTo-SimFirewallRule {
    # MSFT_NetFirewallRule: InstanceID is the rule's Name; its filters carry the same InstanceID, one
    # filter per rule (Microsoft Docs, Get-NetFirewallPortFilter: the filter-to-rule relation is one to one).
    param([string] $Name, [hashtable] $Rule)
    return [pscustomobject]@{
        Name = $Name; InstanceID = $Name; DisplayName = $Rule.DisplayName; Group = $Rule.Group; Enabled = $Rule.Enabled
        Direction = $Rule.Direction; Action = $Rule.Action; Profile = ($Rule.Profile -join ', ')
    }
}

function global:Get-NetFirewallRule {
    # Without -Name or -Group: every rule (the GetAll parameter set); a -Name that matches nothing is an error.
    [CmdletBinding()] param([string] $Name, [string] $Group)
    $what = '-All'
    if ($Group) { $what = "-Group $Group" } elseif ($Name) { $what = "-Name $Name" }
    Add-SimQuery "Get-NetFirewallRule $what"
    $rules = Get-SimFirewall
    if ($Group -or -not $Name) {
        return @($rules.Keys | Sort-Object | Where-Object { -not $Group -or $rules[$_].Group -eq $Group } | ForEach-Object { ConvertTo-SimFirewallRule $_ $rules[$_] })
    }
    if (-not $rules.ContainsKey($Name)) {
        Write-Error -Message "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'.  Verify the value of the property and retry." -Category ObjectNotFound
        return
    }
    return ConvertTo-SimFirewallRule $Name $rules[$Name]
}

function global:ConvertTo-SimPortFilter {
    # A rule created without a value reports Any (New-NetFirewallRule: the default is Any).
    param([string] $Name, [hashtable] $Rule)
    $protocol = $Rule['Protocol']; if ($null -eq $protocol) { $protocol = 'Any' }
    $port = $Rule['LocalPort']; if ($null -eq $port) { $port = 'Any' }
    [pscustomobject]@{ InstanceID = $Name; Protocol = $protocol; LocalPort = $port }
}

function global:ConvertTo-SimAddressFilter {
    # A rule created without addresses reports Any (New-NetFirewallRule: the default is Any).
    param([string] $Name, [hashtable] $Rule)
    $local = $Rule['LocalAddress']; if ($null -eq $local) { $local = @('Any') }
    $remote = $Rule['RemoteAddress']; if ($null -eq $remote) { $remote = @('Any') }
    $remote = foreach ($address in @($remote)) { if ($address.Contains('/')) { ConvertTo-SimMaskNotation $address } else { $address } }
    [pscustomobject]@{ InstanceID = $Name; LocalAddress = @($local); RemoteAddress = @($remote) }
}

function global:Get-NetFirewallPortFilter {
    <# -All: every rule's filter in one query (Microsoft Docs, Get-NetFirewallPortFilter: GetAll); a piped rule: one query each. #>
    [CmdletBinding()] param([Parameter(ValueFromPipeline)] [Alias('AssociatedNetFirewallRule')] $InputObject, [switch] $All)
    process {
        $rules = Get-SimFirewall
        if ($null -eq $InputObject) {
            Add-SimQuery 'Get-NetFirewallPortFilter -All'
            foreach ($name in $rules.Keys | Sort-Object) { ConvertTo-SimPortFilter $name $rules[$name] }
            return
        }
        Add-SimQuery "Get-NetFirewallPortFilter $($InputObject.Name)"
        ConvertTo-SimPortFilter $InputObject.Name $rules[$InputObject.Name]
    }
}

function global:Get-NetFirewallAddressFilter {
    <# -All: every rule's filter in one query (Microsoft Docs, Get-NetFirewallAddressFilter: GetAll); a piped rule: one query each. #>
    [CmdletBinding()] param([Parameter(ValueFromPipeline)] [Alias('AssociatedNetFirewallRule')] $InputObject, [switch] $All)
    process {
        $rules = Get-SimFirewall
        if ($null -eq $InputObject) {
            Add-SimQuery 'Get-NetFirewallAddressFilter -All'
            foreach ($name in $rules.Keys | Sort-Object) { ConvertTo-SimAddressFilter $name $rules[$name] }
            return
        }
        Add-SimQuery "Get-NetFirewallAddressFilter $($InputObject.Name)"
        ConvertTo-SimAddressFilter $InputObject.Name $rules[$InputObject.Name]
    }
}

function global:Set-SimFirewallRule {
    param([string] $Name, [hashtable] $Values, [switch] $New)
    $rules = Get-SimFirewall
    if ($New -and $rules.ContainsKey($Name)) { throw "Cannot create a file when that file already exists." }
    if (-not $New -and -not $rules.ContainsKey($Name)) { throw "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'." }
    if ($New) { $rules[$Name] = @{} }
    foreach ($key in $Values.Keys) {
        $value = $Values[$key]
        if ($key -in 'LocalPort', 'RemoteAddress', 'LocalAddress', 'Profile') { $value = @($value | ForEach-Object { "$_" }) }
        $rules[$Name][$key] = $value
    }
    Write-SimState 'firewall.json' $rules
}

function global:Assert-SimFirewallWritable {
    <# firewall-faults.json {deny: true}: writes fail as the NetSecurity cmdlets do without the right (CIM: "Access is denied."). #>
    if ((Read-SimState 'firewall-faults.json' @{ deny = $false }).deny) { throw 'Access is denied.' }
}

function global:New-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $Name, [string] $DisplayName, [string] $Group, [string] $Direction, [string] $Action,
        [string] $Protocol, [string[]] $LocalPort, [string[]] $LocalAddress, [string[]] $RemoteAddress,
        [string[]] $Profile, [string] $Enabled)
    Assert-SimFirewallWritable
    Add-SimCall "New-NetFirewallRule $Name"
    $values = @{}
    foreach ($key in $PSBoundParameters.Keys) { if ($key -ne 'Name') { $values[$key] = $PSBoundParameters[$key] } }
    Set-SimFirewallRule -Name $Name -Values $values -New
    return Get-NetFirewallRule -Name $Name
}

function global:Set-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $Name, [string] $NewDisplayName, [string] $Direction, [string] $Action,
        [string] $Protocol, [string[]] $LocalPort, [string[]] $LocalAddress, [string[]] $RemoteAddress,
        [string[]] $Profile, [string] $Enabled)
    Assert-SimFirewallWritable
    Add-SimCall "Set-NetFirewallRule $Name"
    $values = @{}
    foreach ($key in $PSBoundParameters.Keys) {
        if ($key -eq 'NewDisplayName') { $values['DisplayName'] = $NewDisplayName }
        elseif ($key -ne 'Name') { $values[$key] = $PSBoundParameters[$key] }
    }
    Set-SimFirewallRule -Name $Name -Values $values
}

function global:Remove-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)] param([string] $Name)
    $rules = Get-SimFirewall
    if (-not $rules.ContainsKey($Name)) { throw "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'." }
    Add-SimCall "Remove-NetFirewallRule $Name"
    $rules.Remove($Name)
    Write-SimState 'firewall.json' $rules
}

# Security descriptors of the roots, as Windows leaves them (docs/windows-facts.md, "Security: the install
# path"): C:\ is TrustedInstaller's; Authenticated Users may create folders in it and, through an
# inherit-only Modify entry, delete, rename and change what is in every folder made there
# (**assumption**: no Learn page lists it; Windows Server's own notes and every default C:\ we know).
# C:\ProgramData is SYSTEM's; Users may create folders and files in every folder made in it, and the
# maker of one gets full control (CREATOR OWNER). C:\Program Files is TrustedInstaller's; Users read.
# A data volume's root (D:\, as Format leaves it) is like C:\. Nothing above the simulated C:\ exists
# on Windows: it stands for nothing and passes every check.
$global:SimTrustedInstaller = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464'
$global:SimVolumeRootDacl = '(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICI;FA;;;BA)' +
    '(A;OICI;0x1200a9;;;BU)'
$global:SimProgramDataDacl = '(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;0x100116;;;BU)'
$global:SimProgramFilesDacl = "(A;;FA;;;$SimTrustedInstaller)(A;CIIO;GA;;;$SimTrustedInstaller)(A;;0x1301bf;;;SY)" +
    '(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)'

function global:Get-SimInode {
    <# The file's identity: a security descriptor belongs to the file, and follows it through a rename. #>
    param([string] $Path)
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [string] $item.UnixStat.Inode
}

function global:Set-SimAcl {
    <# Gives a path its own security descriptor (owner, DACL in SDDL, whether inheritance is blocked). #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Owner = 'BA', [Parameter(Mandatory)] [string] $Dacl, [switch] $Protected)
    $acls = Read-SimState 'acl.json' @{}
    $full = [System.IO.Path]::GetFullPath($Path)
    $acls[$full] = @{ owner = $Owner; dacl = $Dacl; protected = [bool] $Protected; ino = (Get-SimInode $full) }
    Write-SimState 'acl.json' $acls
}

function global:Get-SimAclEntry {
    <# The recorded entry of this very file (by inode; an entry without one by path), or $null. #>
    param([string] $Full, [hashtable] $Acls)
    $ino = Get-SimInode $Full
    foreach ($key in $Acls.Keys) {
        $entry = $Acls[$key]
        if ($entry['ino']) { if ($entry['ino'] -eq $ino) { return $entry } }
        elseif ($key -eq $Full) { return $entry }
    }
    return $null
}

function global:ConvertTo-SimInheritedAce {
    <# The entries a new folder (or file) gets from its parent's DACL, as Windows passes them on. #>
    param([string] $Dacl, [string] $Owner, [bool] $Container)
    $generic = @{ GA = 'FA'; SDGXGWGR = '0x1301bf'; GXGR = '0x1200a9' }
    $out = foreach ($ace in [regex]::Matches($Dacl, '\((A|D);([^;]*);([^;]*);;;([^)]*)\)')) {
        $type, $flags, $rights, $sid = $ace.Groups[1].Value, $ace.Groups[2].Value, $ace.Groups[3].Value, $ace.Groups[4].Value
        if ($generic.ContainsKey($rights)) { $rights = $generic[$rights] }
        $applies = $(if ($Container) { $flags -match 'CI' } else { $flags -match 'OI' })
        if (-not $applies) {
            if ($Container -and $flags -match 'OI' -and $flags -notmatch 'NP') { "($type;OIIOID;$rights;;;$sid)" }
            continue
        }
        $keep = $(if ($Container -and $flags -notmatch 'NP') { ($flags -replace 'IO|ID', '') } else { '' })
        if ($sid -eq 'CO') {
            "($type;ID;$rights;;;$Owner)"
            if ($keep) { "($type;${keep}IOID;$rights;;;CO)" }
            continue
        }
        "($type;${keep}ID;$rights;;;$sid)"
    }
    return (@($out) -join '')
}

function global:Get-SimSecurity {
    <# Owner, DACL and protection of a path: its own entry, else what its parent passes on at creation. #>
    param([string] $Full, [hashtable] $Acls)
    $root = [System.IO.Path]::GetFullPath($global:WslppSim.Root).TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    if (-not $Full.StartsWith($root)) {
        return @{ owner = 'SY'; dacl = '(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)'; protected = $true }
    }
    $entry = Get-SimAclEntry -Full $Full -Acls $Acls
    if ($null -ne $entry -and $null -ne $entry['dacl']) { return $entry }
    $owner = $(if ($null -ne $entry -and $entry['owner']) { $entry['owner'] } else { 'BA' })
    $parent = Split-Path -Path $Full -Parent
    $from = Get-SimSecurity -Full $parent -Acls $Acls
    $container = Test-Path -LiteralPath $Full -PathType Container
    return @{ owner = $owner; dacl = (ConvertTo-SimInheritedAce -Dacl $from['dacl'] -Owner $owner -Container $container); protected = $false }
}

function global:Get-Acl {
    <#
        A path's security descriptor: Sddl ('O:BAG:SYD:PAI(A;OICI;FA;;;BA)...'; owner BA =
        Administrators, SY = SYSTEM, else a SID) and Owner. acl.json (written by New-SimulatedWindows
        for the roots, by the fake icacls, or by a test) holds owner and DACL per file (by inode, so
        that a rename keeps them); a file without its own DACL has what its parent passes on (an
        elevated admin's new file is owned by Administrators). Like Get-Acl, it reports the link
        itself, not its target.
    #>
    [CmdletBinding()] param([string] $LiteralPath)
    $full = [System.IO.Path]::GetFullPath($LiteralPath).TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    if (-not $full) { $full = [string] [System.IO.Path]::DirectorySeparatorChar }
    if (-not (Test-Path -LiteralPath $full)) { Write-Error "Cannot find path '$LiteralPath' because it does not exist." -Category ObjectNotFound; return }
    $entry = Get-SimSecurity -Full $full -Acls (Read-SimState 'acl.json' @{})
    $names = @{ BA = 'BUILTIN\Administrators'; SY = 'NT AUTHORITY\SYSTEM'; $global:SimTrustedInstaller = 'NT SERVICE\TrustedInstaller' }
    $owner = $names[$entry['owner']]
    if ($null -eq $owner) { $owner = $entry['owner'] }
    $control = $(if ($entry['protected']) { 'PAI' } else { 'AI' })
    return [pscustomobject]@{ Path = $full; Owner = $owner; Sddl = "O:$($entry['owner'])G:SYD:$control$($entry['dacl'])" }
}

function global:Set-SimPlanted {
    <# Someone (not an administrator) created this path: they own it and have full control of it. #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Sid = 'S-1-5-21-1004336348-1177238915-682003330-1005')
    Set-SimAcl -Path $Path -Owner $Sid -Dacl "(A;OICI;FA;;;$Sid)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)"
}

function global:Unblock-File {
    <#
        Removes the Zone.Identifier stream that a download, or a copy out of a zip or from a share,
        leaves on a file (Microsoft Docs, Unblock-File); under RemoteSigned a blocked script does
        not run. The simulation records each file unblocked.
    #>
    [CmdletBinding(SupportsShouldProcess)] param([string] $LiteralPath)
    Add-SimCall "Unblock-File $LiteralPath"
}

function global:Get-ExecutionPolicy {
    <#
        The policy of one scope. Group Policy sets MachinePolicy and UserPolicy, which outrank
        -ExecutionPolicy Bypass (Microsoft Docs, about_Execution_Policies); policy.json
        {MachinePolicy: 'AllSigned'} sets them, every other scope is Undefined.
    #>
    [CmdletBinding()] param([string] $Scope)
    $policies = Read-SimState 'policy.json' @{}
    if ($Scope -and $policies.ContainsKey($Scope)) { return $policies[$Scope] }
    return 'Undefined'
}

function global:Get-AuthenticodeSignature {
    <#
        Valid for a file that carries a signature block ('# SIG # Begin signature block', Microsoft Docs,
        about_Signing), NotSigned otherwise. The simulation trusts any block: whether a real
        signature validates is Windows' business and unverified here.
    #>
    [CmdletBinding()] param([string] $FilePath)
    $status = 'NotSigned'
    if ((Get-Content -LiteralPath $FilePath -Raw) -match '# SIG # Begin signature block') { $status = 'Valid' }
    return [pscustomobject]@{ Path = $FilePath; Status = $status }
}

function global:Register-ScheduledTask {
    <#
        register-faults.json {fault: ...} models Windows refusing a stored password: 'NoPasswordStorage'
        when the policy "Network access: Do not allow storage of passwords and credentials for network
        authentication" is on (0x80070520, ERROR_NO_SUCH_LOGON_SESSION; docs/windows-facts.md), and
        'NoBatchRight' when the account lacks "Log on as a batch job" (0x80070569,
        ERROR_LOGON_TYPE_NOT_GRANTED, winerror.h). Both only for a task registered with a password.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $TaskName, [string] $TaskPath, [string] $Xml, [string] $User, [string] $Password, [switch] $Force)
    $fault = (Read-SimState 'register-faults.json' @{ fault = $null }).fault
    if ($Password -and $fault -eq 'NoPasswordStorage') {
        throw 'A specified logon session does not exist. It may already have been terminated. (Exception from HRESULT: 0x80070520)'
    }
    if ($Password -and $fault -eq 'NoBatchRight') {
        throw 'Logon failure: the user has not been granted the requested logon type at this computer. (Exception from HRESULT: 0x80070569)'
    }
    [xml] $document = $Xml   # Task Scheduler refuses malformed XML; so does this
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    if ($tasks.ContainsKey($key) -and -not $Force) { throw "Cannot create a file when that file already exists." }
    $tasks[$key] = @{ Xml = $Xml; User = $User; PasswordGiven = [bool] $Password; State = 'Ready'; LastTaskResult = 267011; LastRunTime = $null }
    Write-SimState 'tasks.json' $tasks
    return [pscustomobject]@{ TaskName = $TaskName; TaskPath = $TaskPath; State = 'Ready' }
}

function global:New-Object {
    <#
        New-Object as it is, except -ComObject 'Schedule.Service': the Task Scheduler scripting objects
        (learn.microsoft.com, "TaskService object", "ITaskService::GetFolder", "ITaskFolder::CreateFolder",
        "ITaskFolder::RegisterTask"): Connect(); GetFolder(path) fails with 0x80070002 for a folder that
        does not exist; CreateFolder(name); RegisterTask(name, xml, flags, user, password, logonType)
        registers into tasks.json as Register-ScheduledTask does, keeping what Task Scheduler keeps (the
        password and logon type), and refuses a password as register-faults.json says (also
        'WrongPassword': 0x8007052E, ERROR_LOGON_FAILURE). A method call is no command: module logging
        and parameter-binding traces do not see its arguments. Each call is recorded, without the password.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Net')]
    param(
        [Parameter(ParameterSetName = 'Net', Mandatory, Position = 0)] [string] $TypeName,
        [Parameter(ParameterSetName = 'Net', Position = 1)] [object[]] $ArgumentList,
        [Parameter(ParameterSetName = 'Com', Mandatory)] [string] $ComObject,
        [System.Collections.IDictionary] $Property, [switch] $Strict
    )
    if ($PSCmdlet.ParameterSetName -eq 'Net') { return Microsoft.PowerShell.Utility\New-Object @PSBoundParameters }
    if ($ComObject -ne 'Schedule.Service') { throw "The simulation has no COM object $ComObject." }
    Add-SimCall 'COM Schedule.Service'
    $service = [pscustomobject]@{ Connected = $false }
    $service | Add-Member -MemberType ScriptMethod -Name Connect -Value { $this.Connected = $true }
    $service | Add-Member -MemberType ScriptMethod -Name GetFolder -Value {
        if (-not $this.Connected) { throw 'The Task Scheduler service is not connected. (Exception from HRESULT: 0x80041315)' }
        $path = $args[0]
        $known = @('\') + @(Read-SimState 'taskfolders.json' @()) + @((Read-SimState 'tasks.json' @{}).Keys | ForEach-Object { $_ -replace '\\[^\\]+$', '' })
        if ($path -notin $known) { throw 'The system cannot find the file specified. (Exception from HRESULT: 0x80070002)' }
        New-SimTaskFolder -Path $path
    }
    return $service
}

function global:New-SimTaskFolder {
    <# A Task Scheduler folder object of the Schedule.Service stand-in (New-Object -ComObject). #>
    param([string] $Path)
        $item = [pscustomobject]@{ Path = $Path }
        $item | Add-Member -MemberType ScriptMethod -Name CreateFolder -Value {
            $path = ($this.Path.TrimEnd('\') + '\' + $args[0])
            Add-SimCall "COM CreateFolder $path"
            $folders = @(Read-SimState 'taskfolders.json' @()) + $path
            Write-SimState 'taskfolders.json' $folders
            New-SimTaskFolder -Path $path
        }
        $item | Add-Member -MemberType ScriptMethod -Name RegisterTask -Value {
            $name, $xml, $flags, $user, $password, $logonType = $args
            $key = $this.Path.TrimEnd('\') + '\' + $name
            Add-SimCall "COM RegisterTask $key flags $flags user $user logonType $logonType"
            $fault = (Read-SimState 'register-faults.json' @{ fault = $null }).fault
            if ($password -and $fault -eq 'NoPasswordStorage') { throw 'A specified logon session does not exist. It may already have been terminated. (Exception from HRESULT: 0x80070520)' }
            if ($password -and $fault -eq 'NoBatchRight') { throw 'Logon failure: the user has not been granted the requested logon type at this computer. (Exception from HRESULT: 0x80070569)' }
            if ($password -and $fault -eq 'WrongPassword') { throw 'The user name or password is incorrect. (Exception from HRESULT: 0x8007052E)' }
            [xml] $document = $xml
            $tasks = Read-SimState 'tasks.json' @{}
            if ($tasks.ContainsKey($key) -and -not ($flags -band 4)) { throw 'Cannot create a file when that file already exists. (Exception from HRESULT: 0x800700B7)' }
            # What Task Scheduler keeps of the password, as a SHA-256 (so that no stand-in command is ever given it).
            $digest = $null
            if ($password) { $digest = [BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash([System.Text.Encoding]::UTF8.GetBytes($password))).Replace('-', '') }
            $tasks[$key] = @{ Xml = $xml; User = $user; PasswordGiven = [bool] $password; PasswordSha256 = $digest; LogonType = $logonType; State = 'Ready'; LastTaskResult = 267011; LastRunTime = $null }
            Write-SimState 'tasks.json' $tasks
            return [pscustomobject]@{ Path = $key }
        }
        return $item
}

function global:Get-ScheduledTask {
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    Add-SimModuleLoad -Module 'ScheduledTasks'
    Update-SimTaskState -Key "$TaskPath$TaskName"
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    if (-not $tasks.ContainsKey($key)) { Write-Error "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$TaskName'." -Category ObjectNotFound; return }
    return [pscustomobject]@{ TaskName = $TaskName; TaskPath = $TaskPath; State = $tasks[$key].State }
}

function global:Get-ScheduledTaskInfo {
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    Update-SimTaskState -Key "$TaskPath$TaskName"
    $tasks = Read-SimState 'tasks.json' @{}
    $task = $tasks["$TaskPath$TaskName"]
    return [pscustomobject]@{ TaskName = $TaskName; LastTaskResult = $task.LastTaskResult; LastRunTime = $task.LastRunTime }
}

function global:Start-SimScript {
    <#
        Runs a script in a background runspace of this process, with the simulated Windows
        loaded there too (like a task running beside the installer). Returns a handle for
        Wait-SimScript / Stop-SimScript.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Arguments = @())
    $shell = [powershell]::Create()
    $null = $shell.AddScript({
            param($SimScript, $Sim, $Path, $Arguments)
            . $SimScript
            $global:WslppSim = $Sim
            $splat = @{}
            foreach ($argument in $Arguments) { $splat[$argument.TrimStart('-')] = $true }
            $global:LASTEXITCODE = 0
            & $Path @splat *> $null
            $LASTEXITCODE
        }).AddArgument((Join-Path $PSScriptRoot 'SimulatedWindows.ps1')).AddArgument($global:WslppSim).AddArgument($Path).AddArgument($Arguments)
    $handle = [pscustomobject]@{ Shell = $shell; Async = $shell.BeginInvoke(); ExitCode = $null }
    [void] $global:WslppSim.Background.Add($handle)
    return $handle
}

function global:Wait-SimScript {
    <# Waits for a background script to end (up to Seconds); returns its exit code, or $null if it still runs. #>
    param([Parameter(Mandatory)] $Handle, [double] $Seconds = 30)
    if ($null -ne $Handle.ExitCode) { return $Handle.ExitCode }
    if (-not $Handle.Async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))) { return $null }
    $output = $Handle.Shell.EndInvoke($Handle.Async)
    $Handle.ExitCode = [int] @($output)[-1]
    return $Handle.ExitCode
}

function global:Stop-SimScript {
    <# Stops a background script (its finally blocks run), as stopping the task would. #>
    param([Parameter(Mandatory)] $Handle)
    if ($Handle.Async.IsCompleted) { return (Wait-SimScript -Handle $Handle) }
    $Handle.Shell.Stop()
    $Handle.ExitCode = 267014   # 0x41306: the task was terminated
    return $Handle.ExitCode
}

function global:Start-ScheduledTask {
    <# Starts the task's Exec action the way Task Scheduler would: in the background. #>
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    Update-SimTaskState -Key $key
    if ($global:WslppSim.Tasks.ContainsKey($key)) {   # MultipleInstancesPolicy IgnoreNew: the start is dropped
        Add-SimCall "Start-ScheduledTask $key dropped: an instance is still running (IgnoreNew)"
        return
    }
    [xml] $document = $tasks[$key].Xml
    # LogonType InteractiveToken: "User must already be logged on. The task will be run only in an
    # existing interactive session." (learn.microsoft.com, "TASK_LOGON_TYPE enumeration"; the same words
    # for the task XML's InteractiveToken, "logonType Simple Type"). Without such a session of the
    # principal's account nothing is launched: the task stays Ready, LastRunTime and LastTaskResult stay
    # as they were (a task never run keeps 0x41303 = 267011, SCHED_S_TASK_HAS_NOT_RUN "The task has not
    # yet run.", learn.microsoft.com, "Task Scheduler Error and Success Constants"). Assumption, not
    # documented: Start-ScheduledTask itself returns without an error.
    $principal = $document.DocumentElement['Principals']['Principal']
    if ($null -ne $principal['LogonType'] -and $principal['LogonType'].InnerText -eq 'InteractiveToken') {
        $user = $tasks[$key].User
        if ($null -ne $principal['UserId']) { $user = $principal['UserId'].InnerText }
        if (-not (Test-SimInteractiveSession -Account $user)) {
            Add-SimCall "Start-ScheduledTask $key not started: $user has no interactive session (InteractiveToken)"
            return
        }
    }
    $arguments = $document.Task.Actions.Exec.Arguments
    if ($arguments -notmatch '-File "([^"]+)"((?: -\w+)*)\s*$') { throw "The task's action does not end with -File `"...`" and switches: $arguments" }
    $file = [regex]::Replace($Matches[1], '%(\w+)%', { param($m) [Environment]::GetEnvironmentVariable($m.Groups[1].Value) }).Replace('\', '/')
    $switches = @($Matches[2] -split ' ' | Where-Object { $_ })
    $global:WslppSim.Tasks[$key] = Start-SimScript -Path $file -Arguments $switches
    $tasks[$key].State = 'Running'
    $tasks[$key].LastTaskResult = 267009   # 0x41301: the task is currently running
    $tasks[$key].LastRunTime = (Get-Date).ToString('o')
    Write-SimState 'tasks.json' $tasks
}

function global:Update-SimTaskState {
    <# Records the result of a task whose background run has ended (or whose slow stop is due). #>
    param([string] $Key)
    $handle = $global:WslppSim.Tasks[$Key]
    if ($null -eq $handle) { return }
    $stopAt = $global:WslppSim.Stopping[$Key]
    if ($null -ne $stopAt -and (Get-Date) -ge $stopAt) {
        $null = Stop-SimScript -Handle $handle
        $global:WslppSim.Stopping.Remove($Key)
    }
    $code = Wait-SimScript -Handle $handle -Seconds 0
    if ($null -eq $code) { return }
    $tasks = Read-SimState 'tasks.json' @{}
    if ($tasks.ContainsKey($Key)) {
        $tasks[$Key].State = 'Ready'
        $tasks[$Key].LastTaskResult = $code
        Write-SimState 'tasks.json' $tasks
    }
    $global:WslppSim.Tasks.Remove($Key)
}

function global:Stop-ScheduledTask {
    <#
        Task Scheduler ends a running task with WM_CLOSE, then TerminateProcess, and the cmdlet returns
        before the instance is gone: until then the task still counts as Running (docs/windows-facts.md,
        "Stopping a task"). task-faults.json {stop_seconds: N} makes the old instance take N seconds.
    #>
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    $key = "$TaskPath$TaskName"
    $handle = $global:WslppSim.Tasks[$key]
    $delay = [double] (Read-SimState 'task-faults.json' @{ stop_seconds = 0 }).stop_seconds
    if ($null -ne $handle -and $delay -gt 0) {
        $global:WslppSim.Stopping[$key] = (Get-Date).AddSeconds($delay)
        return
    }
    if ($null -ne $handle) { $null = Stop-SimScript -Handle $handle }
    Update-SimTaskState -Key $key
}

function global:Unregister-ScheduledTask {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param([string] $TaskName, [string] $TaskPath)
    $tasks = Read-SimState 'tasks.json' @{}
    $tasks.Remove("$TaskPath$TaskName")
    Write-SimState 'tasks.json' $tasks
}

function global:New-EventLog {
    [CmdletBinding()] param([string] $LogName, [string] $Source)
    $sources = Read-SimState 'eventsources.json' @{}
    $sources[$Source] = $LogName
    Write-SimState 'eventsources.json' $sources
}

function global:Remove-EventLog {
    [CmdletBinding()] param([string] $Source)
    $sources = Read-SimState 'eventsources.json' @{}
    $sources.Remove($Source)
    Write-SimState 'eventsources.json' $sources
}

function global:Write-EventLog {
    <#
        Like Windows: fails when the source is not registered, and refuses a message longer than 31,839
        characters. Global, so a test can take it away (PowerShell 7 has none).

        The limit: ReportEventW, "Each string is limited to 31,839 characters"
        (https://learn.microsoft.com/en-us/windows/win32/api/winbase/nf-winbase-reporteventw), which
        Windows PowerShell 5.1's Write-EventLog reaches through EventLog.WriteEntry. Measured failures
        start lower: 31,718 characters on Windows 10 (dotnet/dotnet-api-docs PR #9999), 31,701 on
        Windows 11 22H2 (serilog/serilog-sinks-eventlog PR #41): so the module must shorten well below
        the documented limit, and this stand-in models only the documented one.
        The wording: .NET Framework's EventLogInternal.InternalWriteEvent throws this ArgumentException
        (resource LogEntryTooLong, text as quoted in aspnet/Logging issue #305) only above 32,766
        characters; between the two limits ReportEvent itself fails, with a Win32 error whose wording
        was not checked. The simulation gives .NET's wording to both.
    #>
    [CmdletBinding()] param([string] $LogName, [string] $Source, [int] $EventId, [string] $EntryType, [string] $Message)
    if (-not (Read-SimState 'eventsources.json' @{}).ContainsKey($Source)) {
        throw "The source name ""$Source"" does not exist on computer ""localhost""."
    }
    if ($Message.Length -gt 31839) {
        throw [System.ArgumentException]::new(
            'Log entry string is too long. A string written to the event log cannot exceed 32766 characters.')
    }
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'eventlog.txt') -Value "$EventId $EntryType $Message"
}

function global:Get-SimEvent {
    $path = Join-Path $global:WslppSim.State 'eventlog.txt'
    if (-not (Test-Path $path)) { return @() }
    return @(Get-Content -LiteralPath $path)
}

function global:Get-NetConnectionProfile {
    [CmdletBinding()] param()
    Add-SimQuery 'Get-NetConnectionProfile'
    $network = Read-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @() }
    return [pscustomobject]@{ Name = 'corp.example'; NetworkCategory = $network.category }
}

function global:Get-SimProcessName {
    <#
        The simulated process table: PID -> name. PID 4 is System, where HTTP.sys (IIS, WinRM's HTTP
        listener, ...) listens (docs/windows-facts.md, "Binding can fail silently"); iphlpsvc runs in a
        shared svchost. network.json's processes adds or overrides entries ({"1234": "nginx"}).
    #>
    $names = @{ 4 = 'System'; 2872 = 'svchost'; 5120 = 'wslrelay' }
    $network = Read-SimState 'network.json' @{}
    if ($network.ContainsKey('processes')) { foreach ($key in $network.processes.Keys) { $names[[int] $key] = $network.processes[$key] } }
    return $names
}

function global:Get-Process {
    <# A PID of the simulated process table answers from it; any other call is the real Get-Process (keep-alives are real processes). #>
    [CmdletBinding()] param([int[]] $Id, [Parameter(Position = 0)] [string[]] $Name)
    if ($null -eq $Id -or $null -eq $global:WslppSim) { return Microsoft.PowerShell.Management\Get-Process @PSBoundParameters }
    $simulated = Get-SimProcessName
    foreach ($number in $Id) {
        if ($simulated.ContainsKey($number)) { [pscustomobject]@{ Id = $number; ProcessName = $simulated[$number]; Path = $null; HasExited = $false } }
        else { Microsoft.PowerShell.Management\Get-Process -Id $number -ErrorAction $ErrorActionPreference }
    }
}

function global:Test-SimExcludedPort {
    <#
        Whether a port lies in a range of netsh int ipv4 show excludedportrange protocol=tcp that keeps
        an explicit bind out: network.json's excluded_ranges ([[start, end], ...]), reserved by Hyper-V/
        WinNAT at boot (assumption: binding there fails with WSAEACCES, as widely reported; no Microsoft
        page says so). An administered exclusion ([start, end, '*'], netsh int ipv4 add
        excludedportrange) only keeps the range out of the dynamic ports: an explicit bind still succeeds
        (assumption, the nearest source: learn.microsoft.com KB 3039044, where only a second SO_REUSEADDR
        bind into such a range fails). docs/windows-facts.md, "Excluded port ranges".
    #>
    param([int] $Port, [hashtable] $Network)
    if (-not $Network.ContainsKey('excluded_ranges')) { return $false }
    foreach ($range in $Network.excluded_ranges) {
        $administered = @($range).Count -gt 2
        if (-not $administered -and $Port -ge $range[0] -and $Port -le $range[1]) { return $true }
    }
    return $false
}

function global:Get-SimVmListener {
    <#
        The listening TCP sockets inside the WSL VM, as 'address:port' ('[::]:80' for IPv6): each running
        distro's wsl.json "listening" list, and one socket per TCP port a running podman machine's
        containers publish, on the mapping's host_ip or 0.0.0.0 (rootful Podman up to 5.8.2 holds a
        listening socket per published TCP port, containers/podman libpod/oci_util.go bindPorts; rootless,
        rootlessport listens on the host IP, cmd/rootlessport/main.go exposePorts, and pasta does the same:
        an assumption for pasta, whose source is not Podman's).
    #>
    $sockets = [System.Collections.Generic.List[string]]::new()
    $wsl = Read-SimState 'wsl.json' @{ distros = @{} }
    $podman = Read-SimState 'podman.json' @{ machines = @{} }
    foreach ($name in $wsl.distros.Keys) {
        $distro = $wsl.distros[$name]
        $machine = $podman.machines[$name]
        if ($distro.ContainsKey('stopped') -and $distro.stopped) { continue }
        if ($null -ne $machine -and $machine -ne 'running') { continue }
        if ($distro.ContainsKey('listening')) { foreach ($socket in $distro.listening) { $sockets.Add($socket) } }
        if ($null -eq $machine -or -not $podman.ContainsKey('containers')) { continue }
        foreach ($connection in @($name, "$name-root")) {
            foreach ($container in @($podman.containers[$connection] | Where-Object { $null -ne $_ })) {
                foreach ($mapping in @($container.Ports | Where-Object { $null -ne $_ -and "$($_.protocol)" -match 'tcp' })) {
                    $address = if ($mapping.host_ip) { $mapping.host_ip } else { '0.0.0.0' }
                    $count = [math]::Max(1, [int] $mapping.range)
                    foreach ($port in $mapping.host_port..($mapping.host_port + $count - 1)) {
                        if ($address.Contains(':')) { $sockets.Add("[$address]:$port") } else { $sockets.Add("${address}:$port") }
                    }
                }
            }
        }
    }
    return $sockets.ToArray()
}

function global:Get-SimRelay {
    <#
        WSL's localhost relay in NAT mode (microsoft/WSL 2.9.4, src/linux/init/localhost.cpp
        MonitorListeningSockets: polls the VM's listening TCP sockets every second; src/windows/wslrelay/
        localhost.cpp RelayWorker, BindRelayListener): a Linux socket on 0.0.0.0 or 127.0.0.1 gets
        wslrelay.exe listening on 127.0.0.1:P, one on :: or ::1 on [::1]:P, with SO_REUSEADDR only; one
        Windows listener per family and port; a socket on any other address (eth0's) gets none. Not in
        another networking mode, nor with localhostForwarding=false (wsl.json "localhost_forwarding").
        Returns 'address:port' endpoints ('[::1]:80').
    #>
    $wsl = Read-SimState 'wsl.json' @{ distros = @{} }
    foreach ($distro in $wsl.distros.Values) {
        $mode = if ($distro.ContainsKey('networking_mode')) { $distro.networking_mode } else { 'nat' }
        if ($mode -ne 'nat' -or ($distro.ContainsKey('localhost_forwarding') -and -not $distro.localhost_forwarding)) { return }
    }
    $relays = [System.Collections.Generic.List[string]]::new()
    foreach ($socket in Get-SimVmListener) {
        $address, $port = Split-SimEndpoint $socket
        $relay = $null
        if ($address -in '0.0.0.0', '127.0.0.1') { $relay = "127.0.0.1:$port" }
        elseif ($address -in '::', '::1') { $relay = "[::1]:$port" }
        if ($null -ne $relay -and -not $relays.Contains($relay)) { $relays.Add($relay) }
    }
    return $relays.ToArray()
}

function global:Test-SimBindRefused {
    <#
        Whether a socket binding Address:Port is refused while Held ('address:port' endpoints) are bound,
        by Winsock's rules (learn.microsoft.com, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"): the same
        address and port is refused (WSAEADDRINUSE); a specific address after another account's wildcard
        bind is refused (WSAEACCES, the access check since Windows Server 2003); a wildcard bind after a
        specific one succeeds, unless the wildcard socket asks for exclusive use (-Exclusive). Only
        sockets of the same family count.
    #>
    param([string] $Address, [int] $Port, [string[]] $Held = @(), [switch] $Exclusive)
    $v6 = $Address.Contains(':')
    $wildcard = if ($v6) { '::' } else { '0.0.0.0' }
    foreach ($endpoint in $Held) {
        $heldAddress, $heldPort = Split-SimEndpoint $endpoint
        if ([int] $heldPort -ne $Port -or $heldAddress.Contains(':') -ne $v6) { continue }
        if ($heldAddress -eq $Address -or $heldAddress -eq $wildcard) { return $true }
        if ($Address -eq $wildcard -and $Exclusive) { return $true }
    }
    return $false
}

function global:Get-NetTCPConnection {
    <#
        What listens (MSFT_NetTCPConnection, a CIM query: LocalAddress, LocalPort, State, OwningProcess):
        network.json's listening (other programs: {endpoint: '0.0.0.0:80', pid: 4}), WSL's localhost
        relays (Get-SimRelay; wslrelay.exe, PID 5120), and IP Helper (the svchost whose PID services.json
        gives iphlpsvc) for each portproxy rule it could bind (Test-SimBindRefused against the others
        and the relays; not in an excluded range, Test-SimExcludedPort; not where network.json's blocked
        names the rule). IP Helper's socket options are not documented: it binds without exclusive use
        unless network.json's iphelper_exclusive is true (both are tested). By default the relays were
        bound first (WSL ran before the rule was written); network.json's iphelper_first models a boot
        where IP Helper bound first: a relay on 127.0.0.1:P or [::1]:P is then refused (WSAEACCES: the
        relay runs as the user, IP Helper as LocalSystem) wherever IP Helper holds that family's wildcard.
    #>
    [CmdletBinding()] param([string] $State, [int] $LocalPort)
    Add-SimQuery "Get-NetTCPConnection -State $State"
    $network = Read-SimState 'network.json' @{}
    $others = @()
    if ($network.ContainsKey('listening')) { $others = @($network.listening) }
    $blocked = @()
    if ($network.ContainsKey('blocked')) { $blocked = @($network.blocked) }
    $exclusive = $network.ContainsKey('iphelper_exclusive') -and $network.iphelper_exclusive
    $iphelperFirst = $network.ContainsKey('iphelper_first') -and $network.iphelper_first
    $held = [System.Collections.Generic.List[string]]::new()
    foreach ($listener in $others) {
        $address, $port = Split-SimEndpoint $listener.endpoint
        $held.Add($listener.endpoint)
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = [int] $listener.pid }
    }
    $rules = @{}
    foreach ($table in @((Get-SimPortProxy), (Get-SimPortProxyV6))) { if ($null -ne $table) { foreach ($key in $table.Keys) { $rules[$key] = $table[$key] } } }
    $helper = (Read-SimState 'services.json' @{}).iphlpsvc
    $serving = [System.Collections.Generic.List[string]]::new()
    if ($helper.Status -eq 'Running') {
        foreach ($key in $rules.Keys | Sort-Object) {
            $slash = $key.LastIndexOf('/')
            $address, $port = $key.Substring(0, $slash), [int] $key.Substring($slash + 1)
            if ($blocked -contains $key -or (Test-SimExcludedPort -Port $port -Network $network)) { continue }
            $endpoint = if ($address.Contains(':')) { "[$address]:$port" } else { "${address}:$port" }
            $serving.Add($endpoint)
        }
    }
    $relays = @(Get-SimRelay)
    foreach ($relay in $relays) {
        $address, $port = Split-SimEndpoint $relay
        if ($iphelperFirst -and (Test-SimBindRefused -Address $address -Port $port -Held $serving)) { continue }
        $held.Add($relay)
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = 5120 }
    }
    foreach ($endpoint in $serving) {
        $address, $port = Split-SimEndpoint $endpoint
        $against = if ($iphelperFirst) { @($others | ForEach-Object { $_.endpoint }) } else { $held.ToArray() }
        if (Test-SimBindRefused -Address $address -Port $port -Held $against -Exclusive:$exclusive) { continue }
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = [int] $helper.ProcessId }
    }
}

function global:Get-CimInstance {
    <#
        Win32_Service (a CIM query): Name, State, ProcessId (0 when the service is stopped; services
        sharing a svchost share its PID: Microsoft Docs, Win32_Service class). -Filter "Prop='value'" only.
        Win32_OperatingSystem: LastBootUpTime. Win32_LogonSession, Win32_LoggedOnUser: Get-SimLogonInstance.
    #>
    [CmdletBinding()] param([string] $ClassName, [string] $Filter)
    Add-SimQuery "Get-CimInstance $ClassName $Filter"
    if ($ClassName -in 'Win32_LogonSession', 'Win32_LoggedOnUser') { return Get-SimLogonInstance -ClassName $ClassName -Filter $Filter }
    if ($ClassName -eq 'Win32_OperatingSystem') {
        # LastBootUpTime (Microsoft Docs, Win32_OperatingSystem): windows.json's boot, else a fixed morning.
        $windows = Read-SimState 'windows.json' @{}
        $boot = '2026-11-28T06:00:00Z'
        if ($windows.ContainsKey('boot')) { $boot = $windows.boot }
        return [pscustomobject]@{ LastBootUpTime = [datetime]::Parse($boot, [cultureinfo]::InvariantCulture, 'AdjustToUniversal').ToLocalTime() }
    }
    if ($ClassName -ne 'Win32_Service') { throw "The simulated Windows has no CIM class $ClassName." }
    $services = Read-SimState 'services.json' @{}
    foreach ($name in $services.Keys | Sort-Object) {
        $service = $services[$name]
        $processId = 0
        if ($service.Status -eq 'Running' -and $service.ContainsKey('ProcessId')) { $processId = [int] $service.ProcessId }
        $state = 'Stopped'
        if ($service.Status -eq 'Running') { $state = 'Running' }
        $item = [pscustomobject]@{ Name = $name; State = $state; ProcessId = $processId }
        if ($Filter -match "^(\w+)='([^']*)'$" -and "$($item.($Matches[1]))" -ne $Matches[2]) { continue }
        $item
    }
}

function global:Get-SimLogonInstance {
    <#
        The logon sessions of logons.json (Set-SimLogonSession) as CIM instances. Win32_LogonSession
        (learn.microsoft.com, "Win32_LogonSession class"): LogonId (a string, the key), LogonType (uint32);
        -Filter 'LogonType = N OR LogonType = M ...' only. Win32_LoggedOnUser (learn.microsoft.com,
        "Win32_LoggedOnUser class"), the association of an account and its session: Antecedent, a
        Win32_Account reference (its keys Domain and Name), Dependent, a Win32_LogonSession reference
        (its key LogonId); no filter.
    #>
    param([string] $ClassName, [string] $Filter)
    $sessions = @((Read-SimState 'logons.json' @{ sessions = @() }).sessions)
    if ($ClassName -eq 'Win32_LoggedOnUser') {
        if ($Filter) { throw "The simulated Windows has no filter for Win32_LoggedOnUser: $Filter" }
        foreach ($session in $sessions) {
            $domain, $name = $session.Account.Split('\', 2)
            [pscustomobject]@{
                Antecedent = [pscustomobject]@{ Domain = $domain; Name = $name }
                Dependent  = [pscustomobject]@{ LogonId = $session.LogonId }
            }
        }
        return
    }
    $types = $null
    if ($Filter) {
        if ($Filter -notmatch '^\s*LogonType\s*=\s*\d+(\s+OR\s+LogonType\s*=\s*\d+)*\s*$') {
            throw "The simulated Windows filters Win32_LogonSession by 'LogonType = N OR ...' only: $Filter"
        }
        $types = @([regex]::Matches($Filter, '\d+') | ForEach-Object { [int] $_.Value })
    }
    foreach ($session in $sessions) {
        if ($null -eq $types -or [int] $session.LogonType -in $types) {
            [pscustomobject]@{ LogonId = $session.LogonId; LogonType = [uint32] $session.LogonType }
        }
    }
}

function global:Get-NetFirewallProfile {
    <#
        The firewall profiles of a policy store. In ActiveStore, AllowLocalFirewallRules is False where
        Group Policy says "Apply local firewall rules: No": local rules then exist but do nothing
        (docs/windows-facts.md; Microsoft Docs, Set-NetFirewallProfile -AllowLocalFirewallRules).
        network.json's local_rules_ignored lists those profiles.
    #>
    [CmdletBinding()] param([string] $PolicyStore, [string[]] $Name)
    Add-SimQuery "Get-NetFirewallProfile -PolicyStore $PolicyStore"
    $network = Read-SimState 'network.json' @{}
    $ignored = @()
    if ($network.ContainsKey('local_rules_ignored')) { $ignored = @($network.local_rules_ignored) }
    foreach ($profileName in 'Domain', 'Private', 'Public') {
        $allow = 'NotConfigured'
        if ($ignored -contains $profileName) { $allow = 'False' }
        [pscustomobject]@{ Name = $profileName; Enabled = 'True'; AllowLocalFirewallRules = $allow }
    }
}

function global:Add-SimModuleLoad {
    <#
        What Windows PowerShell does the first time a command of a module that is not loaded runs: it
        imports the first module of that name found in the folders of $env:PSModulePath, in order
        (about_Modules, "Module autoloading"; about_PSModulePath: the account's own
        Documents\WindowsPowerShell\Modules comes first, and the account can set PSModulePath itself).
        The stand-ins are functions, so nothing is imported here: a module of that name in a folder
        outside $PSHOME that comes first is recorded as 'module <name> <folder>' in calls.log.
    #>
    param([Parameter(Mandatory)] [string] $Module)
    foreach ($folder in @("$env:PSModulePath".Split([System.IO.Path]::PathSeparator) | Where-Object { $_ })) {
        if (-not (Test-Path -LiteralPath (Join-Path $folder $Module) -PathType Container)) { continue }
        if (-not $folder.StartsWith($PSHOME)) {
            Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "module $Module $folder"
        }
        return
    }
}

function global:Get-NetIPAddress {
    <# This server's own addresses, IPv4 and IPv6, or one -AddressFamily (Microsoft Docs, Get-NetIPAddress; a CIM query): network.json's host_addresses. #>
    [CmdletBinding()] param([string] $AddressFamily)
    Add-SimModuleLoad -Module 'NetTCPIP'
    Add-SimQuery "Get-NetIPAddress -AddressFamily $AddressFamily"
    $network = Read-SimState 'network.json' @{}
    $addresses = @('127.0.0.1', '192.168.0.12', '::1', '2001:db8::12')
    if ($network.ContainsKey('host_addresses')) { $addresses = @($network.host_addresses) }
    foreach ($address in $addresses) {
        $family = if ($address.Contains(':')) { 'IPv6' } else { 'IPv4' }
        if (-not $AddressFamily -or $AddressFamily -eq $family) { [pscustomobject]@{ IPAddress = $address; AddressFamily = $family } }
    }
}

function global:Test-NetConnection {
    <#
        Nothing is sent: the WSL side answers on the ports listed in network.json's answering (a container
        answers only if its program does: the published port's socket is there either way), and on those
        a distribution's own program listens on for eth0 (wsl.json "listening": the wildcard or eth0's address).
    #>
    [CmdletBinding()] param([string] $ComputerName, [int] $Port, [string] $InformationLevel)
    $network = Read-SimState 'network.json' @{ answering = @() }
    $wsl = @((Read-SimState 'wsl.json').distros.Values | Where-Object { $_.ip -eq $ComputerName })
    if ($wsl.Count -eq 0) { return $false }
    if ($network.ContainsKey('answering') -and @($network.answering) -contains $Port) { return $true }
    $own = @($wsl | Where-Object { $_.ContainsKey('listening') } | ForEach-Object { $_.listening })
    return $own -contains "0.0.0.0:$Port" -or $own -contains "${ComputerName}:$Port"
}

function global:New-SimPublish {
    <# One PortMapping of podman ps --format json (containers/common libnetwork/types/network.go). #>
    param([int] $HostPort, [int] $ContainerPort = $HostPort, [string] $HostIp = '', [int] $Range = 1, [string] $Protocol = 'tcp')
    @{ host_ip = $HostIp; container_port = $ContainerPort; host_port = $HostPort; range = $Range; protocol = $Protocol }
}

function global:Set-SimContainer {
    <#
        The running containers of a podman machine connection (NAME rootless, NAME-root rootful):
        name -> its PortMappings (New-SimPublish). Replaces that connection's containers.
    #>
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Container, [string] $Connection = 'podman-machine-default')
    $podman = Read-SimState 'podman.json'
    if (-not $podman.ContainsKey('containers')) { $podman['containers'] = @{} }
    $podman.containers[$Connection] = @(foreach ($name in $Container.Keys) { @{ Names = @($name); Ports = @($Container[$name]) } })
    Write-SimState 'podman.json' $podman
}

function global:Send-SimContainerEvent {
    <#
        What the engine reports after a container changed (podman events' JSON: libpod/events/config.go
        Event): appended to the connection's event log, which a running fake `podman events` streams.
        Set-SimContainer first: the event follows the change, as in podman.
    #>
    param([Parameter(Mandatory)] [string] $Name, [string] $Status = 'start', [string] $Connection = 'podman-machine-default')
    $event = [ordered]@{ ID = ('{0:x64}' -f $Name.GetHashCode()); Image = 'docker.io/library/nginx:latest'; Name = $Name
        Status = $Status; Time = (Get-Date).ToUniversalTime().ToString('o'); Type = 'container' }
    $line = (ConvertTo-Json -InputObject $event -Compress) + "`n"
    [System.IO.File]::AppendAllText((Join-Path $global:WslppSim.State "events-$Connection.jsonl"), $line)
}

function global:Restart-SimWsl {
    <# WSL restarts with a new address: keep-alive processes end, the distro answers with NewIp. #>
    param([string] $NewIp, [string] $Distro = 'podman-machine-default')
    $python = Get-SimPython
    & $python (Join-Path $PSScriptRoot 'fakewin.py') $global:WslppSim.State restart-wsl $Distro $NewIp
}

function global:Get-Credential {
    <#
        The admin at the prompt: credential.json holds what they type (Password; UserName when they
        overwrite the proposed one). Without it the prompt is cancelled ($null), as Get-Credential
        returns when the dialog is closed. Each prompt is recorded with the account it proposed.
    #>
    [CmdletBinding()] param([string] $UserName, [string] $Message)
    Add-SimCall "Get-Credential $UserName"
    $typed = Read-SimState 'credential.json' $null
    if ($null -eq $typed) { return $null }
    $user = $UserName
    if ($typed.ContainsKey('UserName')) { $user = $typed.UserName }
    $secure = ConvertTo-SecureString -String $typed.Password -AsPlainText -Force
    return New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList $user, $secure
}

# ---- bundle helpers -----------------------------------------------------------------------------

function global:New-TestBundle {
    <# Generates the bundles of an inventory (YAML text) with the Python generator; returns the output folder. #>
    param([Parameter(Mandatory)] [string] $Inventory, [string] $FileName = 'inventory.yaml')
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("bundle-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    $file = Join-Path $folder $FileName
    Write-SimText -Path $file -Text $Inventory
    $python = Get-SimPython
    $output = & $python -m wsl_portproxy generate $file -o (Join-Path $folder 'dist') 2>&1
    if ($LASTEXITCODE -ne 0) { throw "generate failed ($LASTEXITCODE): $output" }
    return Join-Path $folder 'dist'
}

function global:Test-Promtool {
    <#
        promtool check metrics on a metrics text, as exact bytes; returns its exit code and output.
        Uses .tools/bin/promtool (.ci/install-tools takes it out of Debian's prometheus package), else
        promtool on PATH. A missing promtool fails the test.
    #>
    param([Parameter(Mandatory)] [string] $Text)
    $promtool = Join-Path $PSScriptRoot '../../../.tools/bin/promtool'
    if (-not (Test-Path -LiteralPath $promtool -PathType Leaf)) {
        $promtool = (Get-Command -Name promtool -CommandType Application -ErrorAction SilentlyContinue |
            Select-Object -First 1).Source
    }
    if (-not $promtool) { throw 'promtool is not installed (.ci/install-tools puts it in .tools/bin)' }
    $file = Join-Path ([System.IO.Path]::GetTempPath()) "promtool-$([guid]::NewGuid().ToString('n')).prom"
    [System.IO.File]::WriteAllBytes($file, (New-Object System.Text.UTF8Encoding $false).GetBytes($Text))
    try { $output = & sh -c '"$1" check metrics < "$2" 2>&1' sh $promtool $file; $code = $LASTEXITCODE }
    finally { Remove-Item -LiteralPath $file }
    return [pscustomobject]@{ ExitCode = $code; Output = "$output" }
}


<#
    The state store of the simulated Windows and its records.

    Every part of the simulation keeps its state as JSON files in one state folder
    ($global:WslppSim.State, WSLPP_SIM_STATE for child processes), shared with the fake programs
    (fakewin.py, Sim.read/Sim.write). A file is written aside and renamed over, so a reader sees the
    old text or the new, never a part. calls.log records what ran: 'cmdlet ...' (a state-changing
    stand-in), 'cim ...' (a CIM query), 'module ...' (a module autoload), and each fake's own lines.
    Get-SimSnapshot and Get-SimRules read the whole system as comparable text.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

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

function global:Add-SimCall {
    param([string] $Line)
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "cmdlet $Line"
}

function global:Add-SimQuery {
    <#
        Records a query of a CIM-backed cmdlet (NetSecurity, NetTCPIP: each call is a CIM query,
        tens of milliseconds on a real server; docs/windows-facts.md, row "Get-NetTCPConnection -State
        Listen, Get-CimInstance Win32_Service and Get-NetFirewallRule are CIM queries") as
        'cim <cmdlet> <what>', so tests and the bench can count them.
    #>
    param([string] $Line)
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "cim $Line"
}

function global:Clear-SimCall { Remove-Item -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -ErrorAction SilentlyContinue }

function global:Get-SimCall {
    param([string] $Program)
    $path = Join-Path $global:WslppSim.State 'calls.log'
    if (-not (Test-Path $path)) { return @() }
    return @(Get-Content $path | Where-Object { -not $Program -or $_ -like "$Program *" })
}

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
